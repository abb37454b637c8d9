-- A loaded database for the operations tests (restore, standby, upgrade):
-- several teams and every table of the extension populated through the API,
-- signals grouped into reports in several states, and keys whose tokens are
-- kept in fixture.tokens (an ordinary table, so that a dump keeps them too).
--
-- Only functions that exist with the same signature since 0.1.0 are called:
-- the upgrade test loads a 0.1.0 database with this file.  Needs the roles
-- fixture_app and fixture_reader (made here when missing).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fixture_app') THEN
        CREATE ROLE fixture_app;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fixture_reader') THEN
        CREATE ROLE fixture_reader;
    END IF;
END
$$;

CREATE SCHEMA fixture;
CREATE TABLE fixture.tokens (name text PRIMARY KEY, team_id bigint, token text NOT NULL);

-- Teams: three with ids of their own (PostHog project ids), one numbered by
-- the sequence (away from the others: 0.1.0 could collide).
SELECT signals.create_team('Numbered') AS numbered \gset
SELECT signals.create_team('Acme', 11), signals.create_team('Globex', 12), signals.create_team('Initech', 13);
SELECT signals.set_team_settings(t, ai_processing_approved => true,
                                 product_description => 'Product of team ' || t,
                                 app_urls => ARRAY['https://t' || t || '.example.com'])
  FROM unnest(ARRAY[11, 12, 13, :numbered]::bigint[]) t;
-- Team 12's candidates wait for an external agent.
SELECT signals.set_team_settings(12, research_mode => 'external');

-- Source products and types beyond the built-in ones (dumped: not builtin).
INSERT INTO signals.source_products (source_product) VALUES ('fixture_monitor');
INSERT INTO signals.source_types (source_type) VALUES ('fixture_alert');

-- Users and membership; roles granted teams.
CREATE TEMP TABLE u AS
    SELECT name, signals.create_user(name || '@example.com', 'gh-' || name) AS id
      FROM unnest('{alice,bob,carol,dave}'::text[]) name;
SELECT signals.add_team_member(t, (SELECT id FROM u WHERE name = 'alice')) FROM unnest('{11,12,13}'::bigint[]) t;
SELECT signals.add_team_member(12, (SELECT id FROM u WHERE name = 'bob'));
SELECT signals.add_team_member(13, (SELECT id FROM u WHERE name = 'carol'));
SELECT signals.add_team_member(:numbered, (SELECT id FROM u WHERE name = 'dave'));
SELECT signals.grant_team(11, 'fixture_app'), signals.grant_team(12, 'fixture_app'),
       signals.grant_team(13, 'fixture_reader');

-- Keys: personal keys of several kinds, a revoked one, scout tokens.
INSERT INTO fixture.tokens
SELECT 'alice_all', NULL::bigint, token FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{*}', NULL, 'alice all')
UNION ALL
SELECT 'alice_read', NULL, token FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{task:read,signal_scout:read}')
UNION ALL
SELECT 'alice_team13', NULL, token FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{*}', '{13}')
UNION ALL
SELECT 'bob_all', NULL, token FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'bob'), '{*}')
UNION ALL
SELECT 'dave_all', NULL, token FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'dave'), '{*}');
WITH k AS (SELECT * FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'carol'), '{*}', NULL, 'revoked'))
INSERT INTO fixture.tokens SELECT 'revoked', NULL::bigint, token FROM k WHERE signals.revoke_key(k.key_id);
INSERT INTO fixture.tokens
SELECT 'scout' || t, t, (signals.create_scout_token(t)).token FROM unnest(ARRAY[11, 12, 13, :numbered]::bigint[]) t;

-- Source configs (one disabled), scout configs and runs in every state.
SELECT signals.source_config_create(t, 'error_tracking', 'issue_created', true, '{"min_users": 2}')
  FROM unnest(ARRAY[11, 12, 13]::bigint[]) t;
SELECT signals.source_config_create(t, 'fixture_monitor', 'fixture_alert', t <> 13)
  FROM unnest(ARRAY[11, 13]::bigint[]) t;
SELECT signals.set_scout_config(t, 'scout-' || t) FROM unnest(ARRAY[11, 12, 13]::bigint[]) t;
SELECT signals.set_scout_config(13, 'dry-run', emit => false);
CREATE TEMP TABLE runs AS
    SELECT t AS team_id, s AS status,
           signals.create_scout_run(t, 'scout-' || t, 1, 'task-' || s, 'run-' || s, s) AS id
      FROM unnest(ARRAY[11, 12, 13]::bigint[]) t,
           unnest('{queued,in_progress,not_started}'::text[]) s;
SELECT signals.finish_scout_run(team_id, id, 'completed', 'found ' || team_id || ' issues')
  FROM runs WHERE status = 'in_progress' AND team_id = 13;
SELECT signals.start_scout_run(team_id, id) FROM runs WHERE status = 'queued';
SELECT signals.finish_scout_run(team_id, id, 'failed', NULL, 'the model timed out')
  FROM runs WHERE status = 'queued' AND team_id = 12;

-- Scratchpad entries.
SELECT signals.scratchpad_upsert(t, 'note-' || i, 'remember ' || i || ' for team ' || t,
                                 (SELECT id FROM runs r WHERE r.team_id = t AND r.status = 'in_progress'))
  FROM unnest(ARRAY[11, 12, 13]::bigint[]) t, generate_series(1, 5) i;

-- Signals: families of related texts per team, some with dedupe keys, and
-- scout findings; grouped now into reports.
SELECT count(signals.emit_signal(
           t, CASE WHEN i % 7 = 0 THEN 'fixture_monitor' ELSE 'error_tracking' END,
           CASE WHEN i % 7 = 0 THEN 'fixture_alert' ELSE 'issue_created' END,
           'src-' || t || '-' || i,
           format(E'%s in the %s %s\n  at %s (web/%s/%s.ts:%s)',
                  (ARRAY['TypeError: total is undefined', 'RangeError: invalid date',
                         'Timeout talking to the provider', 'Stale results returned',
                         'Upload fails with 413', 'Unreadable text in dark mode'])[1 + i % 6],
                  (ARRAY['checkout', 'billing', 'payments', 'search', 'profile', 'settings',
                         'onboarding', 'invoices', 'exports', 'dashboards'])[1 + (i / 6) % 10],
                  (ARRAY['page', 'dialog', 'worker', 'job'])[1 + i % 4],
                  'handle' || (ARRAY['Cart', 'Date', 'Call', 'Query', 'Upload', 'Theme'])[1 + i % 6]
                           || (ARRAY['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot',
                                     'Golf', 'Hotel', 'India', 'Juliet'])[1 + (i / 6) % 10],
                  (ARRAY['checkout', 'billing', 'payments', 'search', 'profile', 'settings',
                         'onboarding', 'invoices', 'exports', 'dashboards'])[1 + (i / 6) % 10],
                  (ARRAY['cart', 'date', 'call', 'query', 'upload', 'theme'])[1 + i % 6],
                  10 + (i / 6) % 10),
           0.05 + (i % 5) * 0.1,
           jsonb_build_object('browser', (ARRAY['firefox', 'chrome', 'safari'])[1 + i % 3]),
           CASE WHEN i % 4 = 0 THEN ARRAY['fam-' || t || '-' || (i % 60)] ELSE '{}' END))
  FROM unnest(ARRAY[11, 12, 13]::bigint[]) t, generate_series(1, 400) i;
SELECT count(signals.scout_emit(r.team_id, r.id, 'Scout finding ' || i || ': checkout errors doubled after deploy',
                                0.4, 0.8, '[{"kind": "query"}]', 'a deploy broke it', 'P1',
                                ARRAY['scout-fam-' || (i % 3)], NULL, NULL, 'finding-' || i))
  FROM runs r, generate_series(1, 6) i
 WHERE r.status = 'in_progress' AND r.team_id IN (11, 12);
SELECT signals.emit_signal(:numbered, 'error_tracking', 'issue_created', 'numbered-1', 'Login fails for SSO users', 0.5);
SELECT signals.process_pending() > 0 AS grouped;

-- Reports in several states: the built-in summarizer made team 11's and 13's
-- candidates ready; team 12's external agent claims and finishes some.
SELECT signals.claim_candidate('fixture-agent', 12) IS NOT NULL FROM generate_series(1, 3);
SELECT signals.finish_research(12, r.id, 'ready', 'Researched ' || r.id, 'what the agent found')
  FROM (SELECT id FROM signals.reports WHERE team_id = 12 AND status = 'in_progress' ORDER BY id LIMIT 1) r;
SELECT signals.finish_research(12, r.id, 'pending_input')
  FROM (SELECT id FROM signals.reports WHERE team_id = 12 AND status = 'in_progress' ORDER BY id LIMIT 1) r;
SELECT signals.add_artefact(12, r.id, 'priority_judgment', '{"priority": "P2", "explanation": "many users"}'),
       signals.add_artefact(12, r.id, 'actionability_judgment',
                            '{"actionability": "immediately_actionable", "already_addressed": false}'),
       signals.add_artefact(12, r.id, 'suggested_reviewers', '[{"github_login": "gh-alice"}]'),
       signals.add_artefact(12, r.id, 'task_run', '{"pr_url": "https://github.com/x/y/pull/1"}')
  FROM (SELECT id FROM signals.reports WHERE team_id = 12 AND status = 'ready' ORDER BY id LIMIT 1) r;
SELECT signals.report_set_state(t, r.id, 'suppressed')
  FROM unnest('{11,13}'::bigint[]) t,
       LATERAL (SELECT id FROM signals.reports WHERE team_id = t AND status = 'ready' ORDER BY id LIMIT 1) r;
SELECT signals.report_set_state(t, r.id, 'resolved')
  FROM unnest('{11,13}'::bigint[]) t,
       LATERAL (SELECT id FROM signals.reports WHERE team_id = t AND status = 'ready' ORDER BY id LIMIT 1) r;
SELECT signals.report_delete(11, r.id)
  FROM (SELECT id FROM signals.reports WHERE team_id = 11 AND status = 'potential' ORDER BY id LIMIT 1) r;

-- A profile provider, and a cached project profile per team.
CREATE FUNCTION fixture.products_in_use(team_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $f$ SELECT '["product_analytics", "session_replay"]'::jsonb $f$;
SELECT signals.register_profile_provider('products_in_use', 'fixture.products_in_use(bigint)');
SELECT signals.project_profile_compute(t) IS NOT NULL FROM unnest(ARRAY[11, 12, 13, :numbered]::bigint[]) t;

-- Team 13 is paused, with signals waiting in its queue.
SELECT signals.processing_pause(13, '2100-01-01T00:00:00Z');
SELECT count(signals.emit_signal(13, 'error_tracking', 'issue_created', 'queued-' || i,
                                 'Queued while paused ' || i, 0.2))
  FROM generate_series(1, 20) i;
