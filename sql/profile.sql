-- scout/project_profile/current/: the builder, its providers and its cache.
-- Uses team 1 of the fixtures; everything made here is removed at the end.
\set path '/api/projects/1/signals/scout/project_profile/current/'

-- The route, unmasked: byte-level comparisons need the raw body.
CREATE FUNCTION public.profile_get(key_name text, query text DEFAULT '')
RETURNS TABLE (status integer, body text) LANGUAGE sql AS $$
    SELECT r.status, r.body
      FROM signals.http_handle('GET', '/api/projects/1/signals/scout/project_profile/current/', query,
               '{}', NULL::bytea,
               'Bearer ' || (SELECT token FROM public.test_keys WHERE name = key_name)) r
$$;
-- Responses kept for later comparison, by label.
CREATE TABLE public.seen (label text PRIMARY KEY, status integer, body text);
CREATE FUNCTION public.remember(label text, key_name text, query text DEFAULT '')
RETURNS integer LANGUAGE sql AS $$
    INSERT INTO public.seen SELECT label, g.status, g.body FROM public.profile_get(key_name, query) g
    RETURNING status
$$;
CREATE FUNCTION public.seen_id(label text) RETURNS uuid LANGUAGE sql AS $$
    SELECT (body::json ->> 'profile_id')::uuid FROM public.seen s WHERE s.label = seen_id.label
$$;
CREATE FUNCTION public.seen_payload(label text) RETURNS text LANGUAGE sql AS $$
    SELECT (body::json -> 'payload')::text FROM public.seen s WHERE s.label = seen_payload.label
$$;
-- The sections of a remembered payload that do not have their declared shape.
CREATE FUNCTION public.nonconforming(label text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(s.section ORDER BY s.position), '{}')
      FROM signals.profile_sections s,
           (SELECT body::json -> 'payload' -> 'inventory' AS inv FROM public.seen
             WHERE seen.label = nonconforming.label) p
     WHERE signals.profile_conform(s.shape, (p.inv -> s.section)::jsonb, s.section)
           IS DISTINCT FROM (p.inv -> s.section)::text
$$;
CREATE FUNCTION public.profile_rows(OUT total bigint, OUT current_version bigint, OUT fresh bigint)
LANGUAGE sql AS $$
    SELECT count(*),
           count(*) FILTER (WHERE source_version = signals.profile_source_version()),
           count(*) FILTER (WHERE source_version = signals.profile_source_version() AND expires_at > now())
      FROM signals.project_profiles WHERE team_id = 1
$$;

--
-- The setting signals.profile_ttl
--
SHOW signals.profile_ttl;
SELECT signals.profile_ttl();
SET signals.profile_ttl = 'soon';
SET signals.profile_ttl = 0;
SET signals.profile_ttl_typo = '1h';
SET signals.profile_ttl = '90min';
SELECT signals.profile_ttl();
RESET signals.profile_ttl;

--
-- Before any build: other callers get 404 and never build, even when they
-- ask for force_refresh.
--
SELECT * FROM api('GET', :'path', 'alice_scout_read');
SELECT * FROM api('GET', :'path', 'alice_scout_read', NULL, 'force_refresh=true');
SELECT * FROM api('GET', :'path', 'alice_all', NULL, 'force_refresh=1');
SELECT * FROM public.profile_rows();
-- Scope, project and query checks come first.
SELECT * FROM api('GET', :'path', 'alice_write');
SELECT * FROM api('GET', '/api/projects/2/signals/scout/project_profile/current/', 'scout1');
SELECT * FROM api('GET', :'path', 'scout1', NULL, 'force_refresh=yes');
SELECT * FROM api('GET', :'path', 'scout1', NULL, 'refresh=true');
SELECT * FROM api('POST', :'path', 'scout1', '{}');
SELECT * FROM public.profile_rows();

--
-- The scout token builds on a miss: the full payload with no provider.
--
SELECT public.remember('first', 'scout1');
SELECT * FROM public.profile_rows();
-- The envelope, keys in the reference's order.
SELECT json_object_keys(body::json) AS envelope_keys FROM public.seen WHERE label = 'first';
-- It is the stored row.
SELECT s.body::json ->> 'profile_id' = p.id::text AS profile_id_is_row,
       s.body::json ->> 'computed_at' = signals.iso_time(p.computed_at) AS computed_at_is_row,
       s.body::json ->> 'expires_at' = signals.iso_time(p.expires_at) AS expires_at_is_row,
       p.expires_at - p.computed_at AS ttl,
       s.body::json ->> 'source_version' AS source_version,
       (s.body::json -> 'payload')::text = p.payload::text AS payload_is_row_bytes
  FROM public.seen s, signals.project_profiles p
 WHERE s.label = 'first' AND p.team_id = 1;
-- The payload, byte for byte: every section, compact, keys in order.
SELECT public.seen_payload('first') AS payload;
-- Section by section, in payload order.
SELECT key AS section, value AS empty_or_owned
  FROM json_each((SELECT (body::json -> 'payload' -> 'inventory') FROM public.seen WHERE label = 'first'));
-- Every section has its declared shape (also checked below on fuller
-- payloads), and every empty value does too.
SELECT public.nonconforming('first');
SELECT section AS nonconforming_empty FROM signals.profile_sections
 WHERE empty IS NOT NULL AND signals.profile_conform(shape, empty::jsonb, section) <> empty::text;
SELECT count(*) AS sections, count(*) FILTER (WHERE owner = 'provider') AS provided
  FROM signals.profile_sections;

--
-- Cache hits: the scout token and other callers get the same row; a
-- public force_refresh does not rebuild.
--
SELECT public.remember('hit', 'scout1');
SELECT public.remember('public', 'alice_scout_read');
SELECT public.remember('public_forced', 'alice_scout_read', 'force_refresh=true');
SELECT public.seen_id('hit') = public.seen_id('first') AS scout_hit,
       public.seen_id('public') = public.seen_id('first') AS public_gets_cached,
       public.seen_id('public_forced') = public.seen_id('first') AS public_force_ignored;
SELECT * FROM public.profile_rows();

--
-- force_refresh from the scout token rebuilds; unchanged data gives the same bytes.
--
SELECT public.remember('forced', 'scout1', 'force_refresh=true');
SELECT public.seen_id('forced') <> public.seen_id('first') AS new_row,
       public.seen_payload('forced') = public.seen_payload('first') AS same_bytes;
SELECT * FROM public.profile_rows();
-- The newest row is served from now on.
SELECT public.remember('after_forced', 'alice_scout_read');
SELECT public.seen_id('after_forced') = public.seen_id('forced') AS newest_served;
-- Session settings do not change the bytes.
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SELECT signals.project_profile_build(1)::text = public.seen_payload('first') AS same_bytes_other_settings;
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;

--
-- The owned sections over real data.
--
INSERT INTO signals.source_configs (team_id, source_product, source_type, enabled) VALUES
    (1, 'zendesk', 'ticket', false),
    (1, 'github', 'issue', true),
    (1, 'linear', 'issue', true),
    (1, 'error_tracking', 'issue_spiking', false),
    (1, 'error_tracking', 'issue_created', true),
    (2, 'github', 'issue', false);
INSERT INTO signals.reports (team_id, status)
SELECT 1, s FROM unnest('{ready,potential,ready,candidate,deleted,suppressed,suppressed,resolved,potential,ready}'::text[]) s;
SELECT public.remember('with_data', 'scout1', 'force_refresh=true');
SELECT public.seen_payload('with_data') <> public.seen_payload('first') AS changed_data_changes_payload,
       public.nonconforming('with_data');
SELECT key AS section, value
  FROM json_each((SELECT body::json -> 'payload' -> 'inventory' FROM public.seen WHERE label = 'with_data'))
 WHERE key IN ('signal_source_configs', 'existing_inbox_reports', 'emit_eligibility');
-- One more report changes the counts, and so the bytes.
INSERT INTO signals.reports (team_id, status) VALUES (1, 'in_progress');
SELECT public.remember('one_more', 'scout1', 'force_refresh=true');
SELECT public.seen_payload('one_more') <> public.seen_payload('with_data') AS changed,
       (SELECT body::json #> '{payload,inventory,existing_inbox_reports}' FROM public.seen WHERE label = 'one_more')::text
           AS inbox;
-- Emit eligibility is fail-open on the scout source, and names the first failing gate.
INSERT INTO signals.source_configs (team_id, source_product, source_type, enabled)
VALUES (1, 'signals_scout', 'cross_source_issue', false);
SELECT signals.project_profile_build(1) #> '{inventory,emit_eligibility}' AS scout_source_disabled;
SELECT signals.set_team_settings(1, ai_processing_approved => false);
SELECT signals.project_profile_build(1) #> '{inventory,emit_eligibility}' AS both_gates_closed;
UPDATE signals.source_configs SET enabled = true
 WHERE team_id = 1 AND source_product = 'signals_scout';
SELECT signals.project_profile_build(1) #> '{inventory,emit_eligibility}' AS ai_not_approved;
SELECT signals.set_team_settings(1, ai_processing_approved => true);
SELECT signals.project_profile_build(1) #> '{inventory,emit_eligibility}' AS enabled_config;
DELETE FROM signals.source_configs WHERE team_id = 1 AND source_product = 'signals_scout';
-- project_context: a blank description is null, blank URLs are dropped, order is kept.
SELECT signals.project_profile_build(2) #> '{inventory,project_context}' AS team2_defaults;
SELECT signals.set_team_settings(2, product_description => E'  \n ',
                                 app_urls => '{https://b.test,"",https://a.test," "}');
SELECT signals.project_profile_build(2) #> '{inventory,project_context}' AS team2_blank;
SELECT signals.set_team_settings(2, product_description => '  Globex sells globes ', app_urls => '{}');
SELECT signals.project_profile_build(2) #> '{inventory,project_context}' AS team2_trimmed;
SELECT signals.project_profile_build(2) #> '{inventory,signal_source_configs}' AS team2_configs;
SELECT signals.project_profile_build(404);

--
-- TTL expiry and the setting.
--
UPDATE signals.project_profiles SET expires_at = now() - interval '1 second' WHERE team_id = 1;
SELECT * FROM public.profile_rows();
-- Other callers still get the newest (expired) row; the scout token rebuilds.
SELECT public.remember('expired_public', 'alice_scout_read');
SELECT public.seen_id('expired_public') = public.seen_id('one_more') AS public_gets_expired_row;
SELECT public.remember('expired_scout', 'scout1');
SELECT public.seen_id('expired_scout') <> public.seen_id('one_more') AS scout_rebuilt;
SELECT * FROM public.profile_rows();
SELECT public.remember('expired_scout_again', 'scout1');
SELECT public.seen_id('expired_scout_again') = public.seen_id('expired_scout') AS then_cached;
SET signals.profile_ttl = '10min';
SELECT expires_at - computed_at AS ttl FROM signals.project_profile_compute(1, true);
RESET signals.profile_ttl;

--
-- A builder version change invalidates old rows, for every caller.
--
UPDATE signals.project_profiles SET source_version = 'signals-profile-v0' WHERE team_id = 1;
SELECT * FROM public.profile_rows();
SELECT * FROM api('GET', :'path', 'alice_scout_read');
SELECT public.remember('new_version', 'scout1');
SELECT public.seen_id('new_version') <> public.seen_id('expired_scout') AS rebuilt,
       body::json ->> 'source_version' AS source_version
  FROM public.seen WHERE label = 'new_version';
SELECT * FROM public.profile_rows();
SELECT public.remember('new_version_public', 'alice_scout_read');
SELECT public.seen_id('new_version_public') = public.seen_id('new_version') AS public_gets_new_version;

--
-- Only the newest 10 rows of a team are kept, and other teams' rows are not touched.
--
-- (With a token of this test's own, so that the fixture keys' use is not disturbed.)
SELECT key_id AS team2_key, token AS team2_token FROM signals.create_scout_token(2, 'profile test') \gset
SELECT status FROM signals.http_handle('GET', '/api/projects/2/signals/scout/project_profile/current/', '',
           '{}', NULL::bytea, 'Bearer ' || :'team2_token');
SELECT count(*) AS team2_rows FROM signals.project_profiles WHERE team_id = 2;
CREATE TABLE public.builds (n serial, id uuid);
DO $$
BEGIN
    FOR i IN 1..12 LOOP
        INSERT INTO public.builds (id) SELECT id FROM signals.project_profile_compute(1, true);
    END LOOP;
END
$$;
SELECT * FROM public.profile_rows();
SELECT array_agg(b.n ORDER BY b.n) AS kept_builds
  FROM public.builds b JOIN signals.project_profiles p ON p.id = b.id AND p.team_id = 1;
SELECT count(*) AS team2_rows FROM signals.project_profiles WHERE team_id = 2;

--
-- Providers: a realistic host application's tables and the functions that
-- read them, registered for several sections.
--
CREATE SCHEMA host;
CREATE TABLE host.onboarding (team_id bigint, product text, completed boolean);
INSERT INTO host.onboarding VALUES
    (1, 'session_replay', true), (1, 'product_analytics', true), (1, 'surveys', false),
    (1, 'feature_flags', true), (1, 'product_analytics', true), (2, 'error_tracking', true);
CREATE TABLE host.product_intents (team_id bigint, product_type text, activated_at timestamptz, created_at timestamptz);
INSERT INTO host.product_intents VALUES
    (1, 'surveys', NULL, '2025-03-01 10:00:00+00'),
    (1, 'data_warehouse', '2025-03-04 12:30:00.123456+02', '2025-03-02 09:00:00+00');
CREATE TABLE host.feature_flags (team_id bigint, id bigint, key text, name text, active boolean,
                                 deleted boolean DEFAULT false, updated_at timestamptz);
INSERT INTO host.feature_flags VALUES
    (1, 11, 'new-checkout', 'New checkout', true, false, '2025-04-01 00:00:00+00'),
    (1, 12, 'dark-mode', '  ', true, false, '2025-04-03 00:00:00+00'),
    (1, 13, 'beta-api', 'Beta API', false, false, '2025-04-02 00:00:00+00'),
    (1, 14, 'old-flag', 'Old', true, true, '2025-04-09 00:00:00+00'),
    (1, 15, 'pricing-v2', 'Pricing v2', true, false, '2025-04-03 00:00:00+00'),
    (1, 16, 'onboarding', 'Onboarding', false, false, '2025-03-01 00:00:00+00'),
    (1, 17, 'search', 'Search', true, false, '2025-04-05 00:00:00+00'),
    (1, 18, 'export', 'Export', true, false, '2025-02-01 00:00:00+00');
CREATE TABLE host.dashboards (team_id bigint, id bigint, name text, last_accessed_at timestamptz,
                              last_refresh timestamptz, created_at timestamptz);
INSERT INTO host.dashboards VALUES
    (1, 1, 'Revenue', '2025-04-10 08:00:00+00', NULL, '2025-01-01 00:00:00+00'),
    (1, 2, NULL, '2025-04-11 08:00:00+00', '2025-04-11 07:00:00+00', '2025-01-02 00:00:00+00'),
    (1, 3, 'Never opened', NULL, NULL, '2025-01-03 00:00:00+00');
CREATE TABLE host.events (team_id bigint, event text, person_id int, ts timestamptz);
INSERT INTO host.events
SELECT 1, e, p, '2025-04-20 00:00:00+00'::timestamptz + make_interval(hours => h)
  FROM (VALUES ('$pageview', 30), ('$autocapture', 12), ('signed_up', 3)) v(e, n),
       generate_series(1, n) h, LATERAL (SELECT h % 4 AS p) pp;

-- products_in_use: completed onboardings, unsorted, with a duplicate (the builder sorts and deduplicates).
CREATE FUNCTION host.products_in_use(team_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(o.product ORDER BY o.product DESC), '[]')
      FROM host.onboarding o WHERE o.team_id = $1 AND o.completed
$$;
-- product_intents: json with its keys in another order than the shape's.
CREATE FUNCTION host.product_intents(team_id bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object('created_at', i.created_at, 'product_type', i.product_type,
                                               'activated_at', i.activated_at)
                             ORDER BY i.product_type), '[]')
      FROM host.product_intents i WHERE i.team_id = $1
$$;
-- recent_feature_flags: counts over live flags, the 5 most recently updated (name falls back to key).
CREATE FUNCTION host.recent_feature_flags(team_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'total_count', count(*),
        'active_count', count(*) FILTER (WHERE f.active),
        'recent', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'id', r.id, 'key', r.key,
                                'name', coalesce(nullif(btrim(r.name), ''), r.key),
                                'active', r.active, 'updated_at', r.updated_at)
                              ORDER BY r.updated_at DESC, r.id DESC)
                              FROM (SELECT * FROM host.feature_flags r
                                     WHERE r.team_id = $1 AND NOT r.deleted
                                     ORDER BY r.updated_at DESC, r.id DESC LIMIT 5) r), '[]'))
      FROM host.feature_flags f WHERE f.team_id = $1 AND NOT f.deleted
$$;
-- recent_dashboards: accessed ones, most recent first; a missing name is "".
CREATE FUNCTION host.recent_dashboards(team_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'name', coalesce(d.name, ''),
                                                 'last_accessed_at', d.last_accessed_at,
                                                 'last_refresh', d.last_refresh,
                                                 'created_at', d.created_at)
                              ORDER BY d.last_accessed_at DESC, d.id DESC), '[]')
      FROM host.dashboards d WHERE d.team_id = $1 AND d.last_accessed_at IS NOT NULL
$$;
-- top_events: counts and distinct users per event, busiest first.
CREATE FUNCTION host.top_events(team_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'event', e.event, 'count', e.n, 'distinct_users', e.users,
               'recent_24h_count', e.n24, 'recent_24h_users', e.users24,
               'first_seen', e.first_seen, 'last_seen', e.last_seen)
             ORDER BY e.n DESC, e.event), '[]')
      FROM (SELECT event, count(*) AS n, count(DISTINCT person_id) AS users,
                   count(*) FILTER (WHERE ts >= '2025-04-21') AS n24,
                   count(DISTINCT person_id) FILTER (WHERE ts >= '2025-04-21') AS users24,
                   min(ts) AS first_seen, max(ts) AS last_seen
              FROM host.events WHERE events.team_id = $1 GROUP BY event) e
$$;

-- A fresh row exists; registering a provider expires it, so that the scout sees the new section.
SELECT public.remember('before_providers', 'scout1');
SELECT * FROM public.profile_rows();
SELECT signals.register_profile_provider('products_in_use', 'host.products_in_use(bigint)');
SELECT * FROM public.profile_rows();
SELECT signals.register_profile_provider('product_intents', 'host.product_intents(bigint)');
SELECT signals.register_profile_provider('recent_feature_flags', 'host.recent_feature_flags(bigint)');
SELECT signals.register_profile_provider('recent_dashboards', 'host.recent_dashboards(bigint)');
SELECT signals.register_profile_provider('top_events', 'host.top_events(bigint)');
SELECT section, provider_schema, provider_name, registered_by
  FROM signals.profile_providers ORDER BY section COLLATE "C";

-- Registration is checked.
SELECT signals.register_profile_provider('recent_widgets', 'host.top_events(bigint)');
SELECT signals.register_profile_provider('project_context', 'host.top_events(bigint)');
SELECT signals.register_profile_provider('recent_surveys', 'host.nope(bigint)');
SELECT signals.register_profile_provider('recent_surveys', NULL);
CREATE FUNCTION host.wrong_argument(team_id integer) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION host.wrong_result(team_id bigint) RETURNS text LANGUAGE sql AS $$ SELECT '{}' $$;
CREATE FUNCTION host.wrong_set(team_id bigint) RETURNS SETOF jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION host.two_arguments(team_id bigint, x int) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE PROCEDURE host.a_procedure(team_id bigint) LANGUAGE sql AS $$ SELECT 1 $$;
SELECT signals.register_profile_provider('recent_surveys', 'host.wrong_argument(integer)');
SELECT signals.register_profile_provider('recent_surveys', 'host.wrong_result(bigint)');
SELECT signals.register_profile_provider('recent_surveys', 'host.wrong_set(bigint)');
SELECT signals.register_profile_provider('recent_surveys', 'host.two_arguments(bigint, integer)');
SELECT signals.register_profile_provider('recent_surveys', 'host.a_procedure(bigint)');
CREATE FUNCTION pg_temp.temporary(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
SELECT signals.register_profile_provider('recent_surveys', 'pg_temp.temporary(bigint)');
SELECT count(*) AS registered FROM signals.profile_providers;

-- The scout's next read rebuilds with the providers' sections.
SELECT public.remember('providers', 'scout1');
SELECT public.seen_id('providers') <> public.seen_id('before_providers') AS rebuilt,
       public.nonconforming('providers');
SELECT key AS section, value
  FROM json_each((SELECT body::json -> 'payload' -> 'inventory' FROM public.seen WHERE label = 'providers'))
 WHERE key IN (SELECT section FROM signals.profile_providers);
SELECT (body::json -> 'payload' -> 'warnings')::text AS warnings FROM public.seen WHERE label = 'providers';
-- Same data, same bytes, with providers too.
SELECT public.remember('providers_again', 'scout1', 'force_refresh=true');
SELECT public.seen_id('providers_again') <> public.seen_id('providers') AS new_row,
       public.seen_payload('providers_again') = public.seen_payload('providers') AS same_bytes;
-- Registering again replaces a section's provider.
SELECT signals.register_profile_provider('top_events', 'host.products_in_use(bigint)');
SELECT provider_name FROM signals.profile_providers WHERE section = 'top_events';
SELECT signals.project_profile_build(1) #> '{inventory,top_events}' AS top_events;
SELECT signals.register_profile_provider('top_events', 'host.top_events(bigint)');
SELECT provider_name FROM signals.profile_providers WHERE section = 'top_events';
-- Changed host data changes the payload.
UPDATE host.feature_flags SET active = false WHERE id = 17;
SELECT public.remember('flag_changed', 'scout1', 'force_refresh=true');
SELECT public.seen_payload('flag_changed') <> public.seen_payload('providers') AS changed,
       (SELECT body::json #> '{payload,inventory,recent_feature_flags,recent,0}' FROM public.seen
         WHERE label = 'flag_changed')::text AS newest_flag;
-- A provider's list is cut at the section's cap (top_events: 50).
INSERT INTO host.events SELECT 1, 'custom_' || g, 1, '2025-04-22' FROM generate_series(1, 60) g;
SELECT json_array_length(signals.project_profile_build(1) #> '{inventory,top_events}') AS top_events_kept;
DELETE FROM host.events WHERE event LIKE 'custom\_%';

--
-- Bad providers never break the profile: each gives its empty section,
-- a WARNING and an entry in "warnings".
--
CREATE TABLE host.side_effects (what text);
CREATE FUNCTION host.alerts_fail(team_id bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN jsonb_build_object('total_count', 1 / 0);
END
$$;
CREATE FUNCTION host.experiments_string_id(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '{"total_count": 1, "running_count": 1, "recent": [{"id": "7", "name": "Exp", "status": "running",
             "feature_flag_key": null, "updated_at": null}]}'::jsonb
$$;
CREATE FUNCTION host.cohorts_missing_key(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '{"total_count": 1, "recent": [{"id": 1, "name": "Power users", "count": 10,
             "created_at": "2025-01-01T00:00:00Z"}]}'::jsonb
$$;
CREATE FUNCTION host.actions_extra_key(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '{"total_count": 1, "recent": [], "deleted_count": 0}'::jsonb
$$;
CREATE FUNCTION host.notebooks_null(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT NULL::jsonb
$$;
CREATE FUNCTION host.hog_flows_relative_time(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '{"total_count": 1, "active_count": 1, "recent": [{"id": "f1", "name": "Welcome", "status": "active",
             "updated_at": "yesterday"}]}'::jsonb
$$;
CREATE FUNCTION host.hog_functions_array(team_id bigint) RETURNS json LANGUAGE sql AS $$
    SELECT '[]'::json
$$;
CREATE FUNCTION host.surveys_fraction(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '{"total_count": 1.5, "active_count": 0, "recent": []}'::jsonb
$$;
CREATE FUNCTION host.writes_then_fails(team_id bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO host.side_effects VALUES ('written by a failing provider');
    RAISE EXCEPTION 'warehouse is unreachable';
END
$$;
CREATE FUNCTION host.integrations_dropped(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '[]'::jsonb
$$;
CREATE FUNCTION host.activity_retyped(team_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '{"window_days": 14, "by_scope": []}'::jsonb
$$;
SELECT signals.register_profile_provider('recent_alerts', 'host.alerts_fail(bigint)');
SELECT signals.register_profile_provider('recent_experiments', 'host.experiments_string_id(bigint)');
SELECT signals.register_profile_provider('recent_cohorts', 'host.cohorts_missing_key(bigint)');
SELECT signals.register_profile_provider('recent_actions', 'host.actions_extra_key(bigint)');
SELECT signals.register_profile_provider('recent_notebooks', 'host.notebooks_null(bigint)');
SELECT signals.register_profile_provider('recent_hog_flows', 'host.hog_flows_relative_time(bigint)');
SELECT signals.register_profile_provider('recent_hog_functions', 'host.hog_functions_array(bigint)');
SELECT signals.register_profile_provider('recent_surveys', 'host.surveys_fraction(bigint)');
SELECT signals.register_profile_provider('external_data_sources', 'host.writes_then_fails(bigint)');
SELECT signals.register_profile_provider('integrations', 'host.integrations_dropped(bigint)');
SELECT signals.register_profile_provider('recent_activity', 'host.activity_retyped(bigint)');
-- After registration, one function goes away and another changes its result type.
DROP FUNCTION host.integrations_dropped(bigint);
DROP FUNCTION host.activity_retyped(bigint);
CREATE FUNCTION host.activity_retyped(team_id bigint) RETURNS text LANGUAGE sql AS $$ SELECT '{}' $$;

SELECT public.remember('bad_providers', 'scout1');
SELECT status, public.seen_id('bad_providers') <> public.seen_id('flag_changed') AS rebuilt,
       public.nonconforming('bad_providers')
  FROM public.seen WHERE label = 'bad_providers';
SELECT key AS section, value
  FROM json_each((SELECT body::json -> 'payload' -> 'inventory' FROM public.seen WHERE label = 'bad_providers'))
 WHERE key IN (SELECT section FROM signals.profile_providers);
SELECT w ->> 'section' AS section, w ->> 'reason' AS reason
  FROM json_array_elements((SELECT body::json -> 'payload' -> 'warnings' FROM public.seen
                             WHERE label = 'bad_providers')) w;
SELECT count(*) AS side_effects_kept FROM host.side_effects;
-- The good providers' sections are still there, and the bytes are still stable.
SELECT (body::json #>> '{payload,inventory,recent_feature_flags,total_count}') AS flags_total
  FROM public.seen WHERE label = 'bad_providers';
SELECT public.remember('bad_providers_again', 'scout1', 'force_refresh=true');
SELECT public.seen_payload('bad_providers_again') = public.seen_payload('bad_providers') AS same_bytes;

-- Unregistering empties a section again.
SELECT signals.unregister_profile_provider('recent_alerts') AS was_registered;
SELECT signals.unregister_profile_provider('recent_alerts') AS was_registered;
SELECT section, signals.unregister_profile_provider(section)
  FROM signals.profile_providers ORDER BY section COLLATE "C";
SELECT count(*) AS registered FROM signals.profile_providers;
SELECT signals.project_profile_build(1)::text = public.seen_payload('one_more') AS back_to_no_providers;

--
-- SQL callers: signals_api for their team, row-level security, and
-- registration is for DBAs only.
--
CREATE ROLE regress_profile_app;
SELECT signals.grant_team(1, 'regress_profile_app');
SET ROLE regress_profile_app;
SELECT json_typeof(signals_api.project_profile_current(1, true) -> 'payload') AS own_team;
SELECT signals_api.project_profile_current(2, false);
SELECT signals_api.project_profile_current(2, true);
-- Directly, a build is out of its reach (it takes the team's build lock).
SELECT signals.project_profile_current(1, true, true);
SELECT json_typeof(signals.project_profile_current(1, false) -> 'payload') AS cached_own_team;
SELECT signals.project_profile_current(2, false);
SELECT count(*) AS sections_visible FROM signals.profile_sections;
SELECT signals.register_profile_provider('recent_alerts', 'signals.project_profile_build(bigint)');
SELECT signals.unregister_profile_provider('recent_alerts');
SELECT signals.expire_project_profiles();
RESET ROLE;
SELECT signals.revoke_team(1, 'regress_profile_app');
DROP OWNED BY regress_profile_app;
DROP ROLE regress_profile_app;

--
-- Cleanup
--
SET client_min_messages = warning;
DROP SCHEMA host CASCADE;
RESET client_min_messages;
DELETE FROM signals.project_profiles WHERE team_id IN (1, 2);
DELETE FROM signals.api_keys WHERE key_id = :'team2_key';
DELETE FROM signals.reports WHERE team_id = 1;
DELETE FROM signals.source_configs WHERE team_id IN (1, 2);
SELECT signals.set_team_settings(2, product_description => '', app_urls => '{}');
DROP TABLE public.builds, public.seen;
DROP FUNCTION public.profile_get(text, text), public.remember(text, text, text), public.seen_id(text),
    public.seen_payload(text), public.nonconforming(text), public.profile_rows();
