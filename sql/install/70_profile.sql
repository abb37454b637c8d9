-- scout/project_profile/current/: a deterministic summary of a team's product
-- mix, cached per team.
--
-- The payload is {"inventory": {<section>: ..., ...}, "warnings": [...]}.
-- Determinism ("sorted keys"): the payload is built as compact JSON text
-- (no whitespace) and stored as json, not jsonb, so its bytes are kept.
-- Keys are never in hash or jsonb order; they follow one fixed, documented
-- order: the sections in signals.profile_sections.position order (the
-- reference's order, with the extra emit_eligibility section after
-- signal_source_configs where PostHog's later versions put it), and inside a
-- section the field order of the section's shape (the reference's).  Every
-- list has an explicit ORDER BY with a tiebreak, strings compare in the C
-- collation, timestamps are printed by signals.iso_time() (UTC, microseconds,
-- Z), and the builder runs with fixed TimeZone and DateStyle.
--
-- Sections the extension owns (project_context, signal_source_configs,
-- emit_eligibility, existing_inbox_reports) are built here from its tables.
-- Every other section comes from a provider function that a DBA registers
-- with signals.register_profile_provider(); its output is checked against the
-- section's shape and re-serialised in the shape's key order, so a provider's
-- own key order or formatting never reaches the payload.  A provider that
-- fails, is gone, or returns the wrong shape gives the empty section, a
-- WARNING and an entry in the payload's "warnings" list; the profile is still
-- built.  Unregistered sections are present and empty.
--
-- A provider is called as schema.name(team_id bigint) with the builder's
-- settings: search_path = pg_catalog, pg_temp (qualify names, or give the
-- provider its own SET search_path) and TimeZone = UTC.  It runs with the
-- rights of its owner, never the builder's (the builder runs as the extension
-- owner inside http_handle): registration pins the function by OID and its
-- owner, and a provider that was dropped and re-created, renamed, or given
-- another owner since is refused (an empty section and a warning) until a
-- DBA registers it again.  Registering is for DBAs, and only for functions
-- whose owner the registrant can act as.  A provider orders its lists stably
-- (the builder keeps that order, only cutting at max_items); a list of strings is
-- a set and is sorted.  Timestamps may be any dated ISO 8601 text or a
-- to_json(timestamptz) and are rewritten by signals.iso_time().

-- The version of the builder: the cache serves rows of this version only.
-- Change it whenever the payload's shape or content rules change.
CREATE FUNCTION @extschema@.profile_source_version()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'signals-profile-v1'::text
$$;
COMMENT ON FUNCTION @extschema@.profile_source_version() IS
'the project profile builder''s version, stored as source_version; cached rows of another version are never served';

-- The cache lifetime (setting signals.profile_ttl, default one hour).
CREATE FUNCTION @extschema@.profile_ttl()
RETURNS interval
AS 'MODULE_PATHNAME', 'signals_profile_ttl'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_ttl() IS
'how long a built project profile stays fresh: the signals.profile_ttl setting (default 1h) as an interval';

CREATE TABLE @extschema@.profile_sections (
    section    text PRIMARY KEY,
    position   integer NOT NULL UNIQUE,
    owner      text NOT NULL
               CHECK (owner OPERATOR(pg_catalog.=) ANY ('{extension,provider}'::text[])),
    shape      json NOT NULL,
    empty      json,
    max_items  integer CHECK (max_items OPERATOR(pg_catalog.>) 0),
    CHECK ((owner OPERATOR(pg_catalog.=) 'provider') OPERATOR(pg_catalog.=) (empty IS NOT NULL))
);
COMMENT ON TABLE @extschema@.profile_sections IS
'the project profile''s sections in payload order: who builds each, its shape, its empty value and the cap on its list';
COMMENT ON COLUMN @extschema@.profile_sections.shape IS
'the section''s shape, keys in payload order: an object maps keys to shapes, a one-element array is a list of that shape, and a leaf names a type (string, integer, boolean, timestamp; a trailing ? allows null); a list of strings is a set, sorted and deduplicated';
COMMENT ON COLUMN @extschema@.profile_sections.max_items IS
'a provider''s list is cut to its first max_items entries (NULL: no cap)';
GRANT SELECT ON @extschema@.profile_sections TO PUBLIC;

-- The reference's sections and shapes; limits as in PostHog's builder.
INSERT INTO @extschema@.profile_sections (section, position, owner, shape, empty, max_items) VALUES
('project_context', 10, 'extension',
 '{"product_description":"string?","app_urls":["string"]}', NULL, NULL),
('products_in_use', 20, 'provider', '["string"]', '[]', NULL),
('product_intents', 30, 'provider',
 '[{"product_type":"string","activated_at":"timestamp?","created_at":"timestamp?"}]', '[]', NULL),
('integrations', 40, 'provider',
 '[{"kind":"string","created_at":"timestamp?"}]', '[]', NULL),
('external_data_sources', 50, 'provider',
 '[{"source_type":"string","status":"string","prefix":"string","created_at":"timestamp?"}]', '[]', NULL),
('signal_source_configs', 60, 'extension',
 '{"enabled":[{"source_product":"string","source_type":"string"}],"disabled":[{"source_product":"string","source_type":"string"}]}',
 NULL, NULL),
('emit_eligibility', 70, 'extension',
 '{"ai_processing_approved":"boolean","source_enabled":"boolean","can_emit":"boolean","remediation":"string?"}',
 NULL, NULL),
('existing_inbox_reports', 80, 'extension',
 '{"total":"integer","by_status":[{"status":"string","count":"integer"}]}', NULL, NULL),
('recent_activity', 90, 'provider',
 '{"window_days":"integer","by_scope":[{"scope":"string","edits":"integer","users":"integer","last_edit":"timestamp?"}]}',
 '{"window_days":14,"by_scope":[]}', 20),
('recent_dashboards', 100, 'provider',
 '[{"id":"integer","name":"string","last_accessed_at":"timestamp?","last_refresh":"timestamp?","created_at":"timestamp?"}]',
 '[]', 20),
('recent_surveys', 110, 'provider',
 '{"total_count":"integer","active_count":"integer","recent":[{"id":"string","name":"string","type":"string","status":"string","updated_at":"timestamp?"}]}',
 '{"total_count":0,"active_count":0,"recent":[]}', 5),
('recent_feature_flags', 120, 'provider',
 '{"total_count":"integer","active_count":"integer","recent":[{"id":"integer","key":"string","name":"string","active":"boolean","updated_at":"timestamp?"}]}',
 '{"total_count":0,"active_count":0,"recent":[]}', 5),
('recent_experiments', 130, 'provider',
 '{"total_count":"integer","running_count":"integer","recent":[{"id":"integer","name":"string","status":"string","feature_flag_key":"string?","updated_at":"timestamp?"}]}',
 '{"total_count":0,"running_count":0,"recent":[]}', 5),
('recent_alerts', 140, 'provider',
 '{"total_count":"integer","enabled_count":"integer","recent":[{"id":"string","name":"string","enabled":"boolean","state":"string","calculation_interval":"string?","insight_id":"integer?","created_at":"timestamp?"}]}',
 '{"total_count":0,"enabled_count":0,"recent":[]}', 5),
('recent_hog_functions', 150, 'provider',
 '{"total_count":"integer","enabled_count":"integer","recent":[{"id":"string","name":"string","type":"string?","kind":"string?","enabled":"boolean","updated_at":"timestamp?"}]}',
 '{"total_count":0,"enabled_count":0,"recent":[]}', 5),
('recent_hog_flows', 160, 'provider',
 '{"total_count":"integer","active_count":"integer","recent":[{"id":"string","name":"string","status":"string","updated_at":"timestamp?"}]}',
 '{"total_count":0,"active_count":0,"recent":[]}', 5),
('recent_notebooks', 170, 'provider',
 '{"total_count":"integer","recent":[{"short_id":"string","title":"string","last_modified_at":"timestamp?"}]}',
 '{"total_count":0,"recent":[]}', 5),
('recent_cohorts', 180, 'provider',
 '{"total_count":"integer","recent":[{"id":"integer","name":"string","is_static":"boolean","count":"integer?","created_at":"timestamp?"}]}',
 '{"total_count":0,"recent":[]}', 5),
('recent_actions', 190, 'provider',
 '{"total_count":"integer","recent":[{"id":"integer","name":"string","updated_at":"timestamp?"}]}',
 '{"total_count":0,"recent":[]}', 5),
('top_events', 200, 'provider',
 '[{"event":"string","count":"integer","distinct_users":"integer","recent_24h_count":"integer","recent_24h_users":"integer","first_seen":"timestamp?","last_seen":"timestamp?"}]',
 '[]', 50);

CREATE TABLE @extschema@.profile_providers (
    section          text PRIMARY KEY REFERENCES @extschema@.profile_sections,
    provider_schema  text NOT NULL,
    provider_name    text NOT NULL,
    registered_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by    text NOT NULL DEFAULT CURRENT_USER,
    provider_oid     oid NOT NULL,
    owner_oid        oid NOT NULL,
    owner_name       text NOT NULL
);
COMMENT ON TABLE @extschema@.profile_providers IS
'the function that fills each host-application section of the project profile: schema.name(team_id bigint) returning json or jsonb, pinned by OID and owner at registration; global, not per team';
COMMENT ON COLUMN @extschema@.profile_providers.provider_oid IS
'the registered function: a function of the same name with another OID (dropped and re-created, or a restored dump) is refused';
COMMENT ON COLUMN @extschema@.profile_providers.owner_oid IS
'the function''s owner at registration: the provider runs as this role, and is refused once the function has another owner';
GRANT SELECT ON @extschema@.profile_providers TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.profile_providers', '');

-- A JSON array of the given elements, in their order, without whitespace.
CREATE FUNCTION @extschema@.compact_json_array(items json[])
RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ('[' OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_to_string(items, ','), '')
            OPERATOR(pg_catalog.||) ']')::json
$$;
COMMENT ON FUNCTION @extschema@.compact_json_array(json[]) IS
'the elements as one JSON array with no whitespace (json_agg would add spaces); NULL gives []';

-- Wait for the team's profile build lock, held to the end of the transaction.
-- It is an advisory lock in a class no SQL function reaches, so no role can
-- hold a team's builds up with pg_advisory_lock().
CREATE FUNCTION @extschema@.profile_build_lock(team_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'signals_profile_build_lock'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.profile_build_lock(bigint) IS
'take the lock that serialises a team''s profile builds (an advisory lock of a class SQL cannot take), until the transaction ends';
REVOKE ALL ON FUNCTION @extschema@.profile_build_lock(bigint) FROM PUBLIC;

-- Call a registered provider as its pinned owner (see the top of this file).
CREATE FUNCTION @extschema@.profile_call_provider(provider oid, owner oid, team_id bigint)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'signals_profile_call_provider'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.profile_call_provider(oid, oid, bigint) IS
'call provider(team_id) with the rights of owner (which must still own it) in a restricted security context; its result as jsonb';
REVOKE ALL ON FUNCTION @extschema@.profile_call_provider(oid, oid, bigint) FROM PUBLIC;

-- Check a provider's output against a shape and write it in the shape's key order.
CREATE FUNCTION @extschema@.profile_conform(shape json, value jsonb, path text, max_items integer DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind text := pg_catalog.json_typeof(shape);
    vkind text := pg_catalog.jsonb_typeof(value);
    parts text[] := '{}';
    k text;
    sub json;
    elem jsonb;
    i bigint;
    leaf text;
    nullable boolean;
    s text;
    n numeric;
    ts timestamptz;
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% is missing', path;
    END IF;
    IF kind OPERATOR(pg_catalog.=) 'object' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'object' THEN
            RAISE EXCEPTION '% must be an object, not %', path, vkind;
        END IF;
        SELECT pg_catalog.min(vk COLLATE "C") INTO k
          FROM pg_catalog.jsonb_object_keys(value) vk
         WHERE NOT EXISTS (SELECT FROM pg_catalog.json_object_keys(shape) sk
                            WHERE sk OPERATOR(pg_catalog.=) vk);
        IF k IS NOT NULL THEN
            RAISE EXCEPTION '% has an unexpected key "%"', path, k;
        END IF;
        FOR k, sub IN SELECT e.key, e.value FROM pg_catalog.json_each(shape) e LOOP
            parts := parts OPERATOR(pg_catalog.||)
                     (pg_catalog.to_json(k)::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||)
                      @extschema@.profile_conform(sub, pg_catalog.jsonb_extract_path(value, k),
                                                  path OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) k,
                                                  max_items));
        END LOOP;
        RETURN '{' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(parts, ',') OPERATOR(pg_catalog.||) '}';
    END IF;

    IF kind OPERATOR(pg_catalog.=) 'array' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'array' THEN
            RAISE EXCEPTION '% must be an array, not %', path, vkind;
        END IF;
        sub := pg_catalog.json_array_element(shape, 0);
        IF pg_catalog.json_typeof(sub) OPERATOR(pg_catalog.=) 'string' THEN
            -- A list of strings is a set: checked, deduplicated, sorted.
            FOR elem, i IN SELECT e, o FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY a(e, o) LOOP
                IF pg_catalog.jsonb_typeof(elem) OPERATOR(pg_catalog.<>) 'string' THEN
                    RAISE EXCEPTION '%[%] must be a string, not %', path, i OPERATOR(pg_catalog.-) 1,
                        pg_catalog.jsonb_typeof(elem);
                END IF;
            END LOOP;
            SELECT pg_catalog.array_agg(pg_catalog.to_json(t)::text ORDER BY t COLLATE "C")
              INTO parts
              FROM (SELECT DISTINCT e AS t
                      FROM pg_catalog.jsonb_array_elements_text(value) e) d;
            IF max_items IS NOT NULL THEN
                parts := parts[1:max_items];
            END IF;
        ELSE
            FOR elem, i IN SELECT e, o FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY a(e, o)
                            ORDER BY o LIMIT max_items LOOP
                parts := parts OPERATOR(pg_catalog.||)
                         @extschema@.profile_conform(sub, elem,
                                                     path OPERATOR(pg_catalog.||) '[' OPERATOR(pg_catalog.||)
                                                     (i OPERATOR(pg_catalog.-) 1)::text OPERATOR(pg_catalog.||) ']',
                                                     max_items);
            END LOOP;
        END IF;
        RETURN '[' OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_to_string(parts, ','), '')
               OPERATOR(pg_catalog.||) ']';
    END IF;

    -- A leaf: the shape names a type, with ? when null is allowed.
    leaf := shape OPERATOR(pg_catalog.#>>) '{}'::text[];
    nullable := pg_catalog.right(leaf, 1) OPERATOR(pg_catalog.=) '?';
    leaf := pg_catalog.rtrim(leaf, '?');
    IF vkind OPERATOR(pg_catalog.=) 'null' THEN
        IF nullable THEN
            RETURN 'null';
        END IF;
        RAISE EXCEPTION '% may not be null', path;
    END IF;
    IF leaf OPERATOR(pg_catalog.=) 'string' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'string' THEN
            RAISE EXCEPTION '% must be a string, not %', path, vkind;
        END IF;
        RETURN value::text;
    ELSIF leaf OPERATOR(pg_catalog.=) 'boolean' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'boolean' THEN
            RAISE EXCEPTION '% must be a boolean, not %', path, vkind;
        END IF;
        RETURN value::text;
    ELSIF leaf OPERATOR(pg_catalog.=) 'integer' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'number' THEN
            RAISE EXCEPTION '% must be an integer, not %', path, vkind;
        END IF;
        n := value::text::numeric;
        IF n OPERATOR(pg_catalog.<>) pg_catalog.trunc(n)
           OR n OPERATOR(pg_catalog.<) -9223372036854775808::numeric
           OR n OPERATOR(pg_catalog.>) 9223372036854775807::numeric THEN
            RAISE EXCEPTION '% must be an integer, not %', path, value::text;
        END IF;
        RETURN n::bigint::text;
    ELSIF leaf OPERATOR(pg_catalog.=) 'timestamp' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'string' THEN
            RAISE EXCEPTION '% must be an ISO 8601 timestamp string, not %', path, vkind;
        END IF;
        s := value OPERATOR(pg_catalog.#>>) '{}'::text[];
        -- Only dated ISO 8601 text: no 'now', 'today' or other relative inputs.
        IF s OPERATOR(pg_catalog.!~) '^\d{4}-\d\d-\d\d([T ]|$)' THEN
            RAISE EXCEPTION '% must be an ISO 8601 timestamp, not %', path, value::text;
        END IF;
        BEGIN
            ts := s::timestamptz;
        EXCEPTION WHEN data_exception THEN
            RAISE EXCEPTION '% must be an ISO 8601 timestamp, not %', path, value::text;
        END;
        RETURN pg_catalog.to_json(@extschema@.iso_time(ts))::text;
    END IF;
    RAISE EXCEPTION 'shape of % names the unknown type "%"', path, leaf;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_conform(json, jsonb, text, integer) IS
'check a value against a profile section shape and return it as compact JSON text in the shape''s key order; raises naming the first offending path';

-- Register the provider of a project profile section (DBA only).
CREATE FUNCTION @extschema@.register_profile_provider(section text, provider regprocedure)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sec @extschema@.profile_sections;
    fn record;
BEGIN
    SELECT * INTO sec FROM @extschema@.profile_sections s
     WHERE s.section OPERATOR(pg_catalog.=) register_profile_provider.section;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown project profile section "%"', section
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'section',
                  HINT = 'The sections are the rows of signals.profile_sections.';
    END IF;
    IF sec.owner OPERATOR(pg_catalog.<>) 'provider' THEN
        RAISE EXCEPTION 'project profile section "%" is built by the extension and takes no provider', section
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'section';
    END IF;
    IF provider IS NULL THEN
        RAISE EXCEPTION 'provider is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'provider';
    END IF;
    SELECT n.nspname, p.proname, p.pronargs, p.proargtypes, p.prorettype, p.proretset, p.prokind,
           p.proowner, a.rolname AS owner_name
      INTO fn
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
      JOIN pg_catalog.pg_roles a ON a.oid OPERATOR(pg_catalog.=) p.proowner
     WHERE p.oid OPERATOR(pg_catalog.=) provider;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'function % does not exist', provider
            USING ERRCODE = 'undefined_function', COLUMN = 'provider';
    END IF;
    IF fn.prokind OPERATOR(pg_catalog.<>) 'f' OR fn.proretset
       OR fn.pronargs OPERATOR(pg_catalog.<>) 1
       OR fn.proargtypes[0] OPERATOR(pg_catalog.<>) 'pg_catalog.int8'::pg_catalog.regtype
       OR NOT fn.prorettype OPERATOR(pg_catalog.=) ANY
              (ARRAY['pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype]::oid[]) THEN
        RAISE EXCEPTION 'provider % must be a function taking (team_id bigint) and returning json or jsonb', provider
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'provider';
    END IF;
    IF fn.nspname OPERATOR(pg_catalog.~~) 'pg\_temp%' THEN
        RAISE EXCEPTION 'provider %(bigint) is a temporary function', pg_catalog.quote_ident(fn.proname)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'provider';
    END IF;
    -- The provider will run as its owner: only a role that can act as that
    -- owner may hand its function to the builder.
    IF NOT pg_catalog.pg_has_role(CURRENT_USER, fn.proowner, 'USAGE') THEN
        RAISE EXCEPTION 'must be able to act as role "%" to register its function % as a provider',
                        fn.owner_name, provider
            USING ERRCODE = 'insufficient_privilege', COLUMN = 'provider',
                  DETAIL = 'A provider runs with the rights of the role that owns it.';
    END IF;
    INSERT INTO @extschema@.profile_providers AS pp
           (section, provider_schema, provider_name, provider_oid, owner_oid, owner_name)
    VALUES (sec.section, fn.nspname, fn.proname, provider, fn.proowner, fn.owner_name)
    ON CONFLICT ON CONSTRAINT profile_providers_pkey DO UPDATE
       SET provider_schema = excluded.provider_schema,
           provider_name = excluded.provider_name,
           provider_oid = excluded.provider_oid,
           owner_oid = excluded.owner_oid,
           owner_name = excluded.owner_name,
           registered_at = pg_catalog.now(),
           registered_by = CURRENT_USER;
    PERFORM @extschema@.expire_project_profiles();
END
$$;
COMMENT ON FUNCTION @extschema@.register_profile_provider(text, regprocedure) IS
'make a function (team_id bigint) returning json or jsonb the provider of a project profile section, replacing any other; pins the function and its owner, as whom it will run; expires every cached profile';
REVOKE ALL ON FUNCTION @extschema@.register_profile_provider(text, regprocedure) FROM PUBLIC;

-- Remove the provider of a section (DBA only).
CREATE FUNCTION @extschema@.unregister_profile_provider(section text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM @extschema@.profile_providers p
     WHERE p.section OPERATOR(pg_catalog.=) unregister_profile_provider.section;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM @extschema@.expire_project_profiles();
    RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.unregister_profile_provider(text) IS
'remove the provider of a project profile section (it becomes empty); returns whether there was one; expires every cached profile';
REVOKE ALL ON FUNCTION @extschema@.unregister_profile_provider(text) FROM PUBLIC;

-- End the freshness of every cached profile, so that the next scout read rebuilds.
CREATE FUNCTION @extschema@.expire_project_profiles()
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH expired AS (
        UPDATE @extschema@.project_profiles p
           SET expires_at = pg_catalog.now()
         WHERE p.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
        RETURNING 1)
    SELECT pg_catalog.count(*) FROM expired
$$;
COMMENT ON FUNCTION @extschema@.expire_project_profiles() IS
'mark every cached project profile (of the teams the caller sees) as expired; returns how many were fresh';
REVOKE ALL ON FUNCTION @extschema@.expire_project_profiles() FROM PUBLIC;

-- Section project_context: from the team's settings.
CREATE FUNCTION @extschema@.profile_project_context(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
      FROM (SELECT CASE WHEN @extschema@.is_blank(s.product_description) THEN NULL
                        ELSE pg_catalog.btrim(s.product_description, E' \t\n\r\x0B\f') END
                       AS product_description,
                   ARRAY(SELECT u.url
                           FROM pg_catalog.unnest(s.app_urls) WITH ORDINALITY u(url, n)
                          WHERE NOT coalesce(@extschema@.is_blank(u.url), true)
                          ORDER BY u.n) AS app_urls
              FROM (SELECT) one
              LEFT JOIN @extschema@.team_settings s
                     ON s.team_id OPERATOR(pg_catalog.=) $1) r
$$;
COMMENT ON FUNCTION @extschema@.profile_project_context(bigint) IS
'profile section project_context: the trimmed product description (null when blank) and the non-blank app URLs in their order';

-- Section signal_source_configs: sources split by their enabled flag.
CREATE FUNCTION @extschema@.profile_signal_source_configs(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
      FROM (SELECT @extschema@.compact_json_array(
                       pg_catalog.array_agg(c.entry ORDER BY c.source_product COLLATE "C", c.source_type COLLATE "C")
                       FILTER (WHERE c.enabled)) AS enabled,
                   @extschema@.compact_json_array(
                       pg_catalog.array_agg(c.entry ORDER BY c.source_product COLLATE "C", c.source_type COLLATE "C")
                       FILTER (WHERE NOT c.enabled)) AS disabled
              FROM (SELECT sc.source_product, sc.source_type, sc.enabled,
                           (SELECT pg_catalog.row_to_json(e)
                              FROM (SELECT sc.source_product, sc.source_type) e) AS entry
                      FROM @extschema@.source_configs sc
                     WHERE sc.team_id OPERATOR(pg_catalog.=) $1) c) r
$$;
COMMENT ON FUNCTION @extschema@.profile_signal_source_configs(bigint) IS
'profile section signal_source_configs: {enabled, disabled} lists of {source_product, source_type}, by product then type';

-- Section emit_eligibility: whether a scout's findings can reach the inbox.
CREATE FUNCTION @extschema@.profile_emit_eligibility(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
      FROM (SELECT g.ai_processing_approved,
                   g.source_enabled,
                   g.ai_processing_approved AND g.source_enabled AS can_emit,
                   CASE WHEN NOT g.ai_processing_approved
                        THEN 'AI data processing is not approved for this team, so every emit is skipped (ai_processing_not_approved).'
                        WHEN NOT g.source_enabled
                        THEN 'The signals_scout/cross_source_issue source config is disabled, so every emit is skipped (source_disabled).'
                   END AS remediation
              FROM (SELECT coalesce((SELECT s.ai_processing_approved
                                       FROM @extschema@.team_settings s
                                      WHERE s.team_id OPERATOR(pg_catalog.=) $1), false)
                               AS ai_processing_approved,
                           -- Fail-open: enabled unless a config turns it off.
                           NOT EXISTS (SELECT FROM @extschema@.source_configs c
                                        WHERE c.team_id OPERATOR(pg_catalog.=) $1
                                          AND c.source_product OPERATOR(pg_catalog.=) 'signals_scout'
                                          AND c.source_type OPERATOR(pg_catalog.=) 'cross_source_issue'
                                          AND NOT c.enabled) AS source_enabled) g) r
$$;
COMMENT ON FUNCTION @extschema@.profile_emit_eligibility(bigint) IS
'profile section emit_eligibility: AI processing approval, whether signals_scout/cross_source_issue is enabled (unless a config disables it), and the first failing gate';

-- Section existing_inbox_reports: live reports by status.
CREATE FUNCTION @extschema@.profile_existing_inbox_reports(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
      FROM (SELECT coalesce(pg_catalog.sum(g.count), 0)::bigint AS total,
                   @extschema@.compact_json_array(
                       pg_catalog.array_agg(pg_catalog.row_to_json(g) ORDER BY g.status COLLATE "C"))
                       AS by_status
              FROM (SELECT rp.status, pg_catalog.count(*) AS count
                      FROM @extschema@.reports rp
                     WHERE rp.team_id OPERATOR(pg_catalog.=) $1
                       AND rp.status OPERATOR(pg_catalog.<>) ALL ('{deleted,suppressed}'::text[])
                     GROUP BY rp.status) g) r
$$;
COMMENT ON FUNCTION @extschema@.profile_existing_inbox_reports(bigint) IS
'profile section existing_inbox_reports: {total, by_status} over the team''s reports that are neither deleted nor suppressed, statuses in alphabetical order';

-- Build a team's profile payload from the database (no caching).
CREATE FUNCTION @extschema@.project_profile_build(team_id bigint)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
AS $$
DECLARE
    sec record;
    fn record;
    parts text[] := '{}';
    warnings text[] := '{}';
    part text;
    raw jsonb;
    reason text;
    failure text;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.teams t WHERE t.team_id OPERATOR(pg_catalog.=) project_profile_build.team_id) THEN
        RAISE EXCEPTION 'team % does not exist', team_id
            USING ERRCODE = 'no_data_found', COLUMN = 'team_id';
    END IF;
    FOR sec IN SELECT s.section, s.owner, s.shape, s.empty, s.max_items,
                      p.provider_schema, p.provider_name, p.provider_oid, p.owner_oid, p.owner_name
                 FROM @extschema@.profile_sections s
                 LEFT JOIN @extschema@.profile_providers p
                        ON p.section OPERATOR(pg_catalog.=) s.section
                ORDER BY s.position LOOP
        part := NULL;
        reason := NULL;
        IF sec.owner OPERATOR(pg_catalog.=) 'extension' THEN
            part := CASE sec.section
                WHEN 'project_context' THEN @extschema@.profile_project_context(team_id)
                WHEN 'signal_source_configs' THEN @extschema@.profile_signal_source_configs(team_id)
                WHEN 'emit_eligibility' THEN @extschema@.profile_emit_eligibility(team_id)
                WHEN 'existing_inbox_reports' THEN @extschema@.profile_existing_inbox_reports(team_id)
            END::text;
            IF part IS NULL THEN
                RAISE EXCEPTION 'project profile section "%" has no builder', sec.section;
            END IF;
        ELSIF sec.provider_oid IS NOT NULL THEN
            -- The function registered, by OID: it may have been dropped,
            -- re-created, renamed or given to another owner since.
            SELECT p.oid::pg_catalog.regprocedure::text AS signature, n.nspname, p.proname,
                   p.proowner, a.rolname AS owner_name, p.prorettype, p.proretset, p.prokind
              INTO fn
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
              LEFT JOIN pg_catalog.pg_roles a ON a.oid OPERATOR(pg_catalog.=) p.proowner
             WHERE p.oid OPERATOR(pg_catalog.=) sec.provider_oid;
            IF NOT FOUND OR fn.nspname OPERATOR(pg_catalog.<>) sec.provider_schema
               OR fn.proname OPERATOR(pg_catalog.<>) sec.provider_name THEN
                reason := pg_catalog.format('provider %I.%I(bigint) was dropped, replaced or renamed since it was registered; register it again',
                                            sec.provider_schema, sec.provider_name);
            ELSIF fn.proowner OPERATOR(pg_catalog.<>) sec.owner_oid
                  OR fn.owner_name IS DISTINCT FROM sec.owner_name THEN
                reason := pg_catalog.format('provider %s is owned by %s, not by %s who owned it when it was registered; register it again',
                                            fn.signature, coalesce(pg_catalog.quote_ident(fn.owner_name), 'a dropped role'),
                                            pg_catalog.quote_ident(sec.owner_name));
            ELSIF fn.prokind OPERATOR(pg_catalog.<>) 'f' OR fn.proretset
                  OR NOT fn.prorettype OPERATOR(pg_catalog.=) ANY
                         (ARRAY['pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype]::oid[]) THEN
                reason := pg_catalog.format('provider %s does not return json or jsonb', fn.signature);
            ELSE
                -- Each provider runs in its own subtransaction, as its owner:
                -- its failure (and anything it wrote) is rolled back, and the
                -- build goes on.
                BEGIN
                    raw := @extschema@.profile_call_provider(sec.provider_oid, sec.owner_oid, team_id);
                EXCEPTION WHEN OTHERS THEN
                    -- The payload is read by API keys: it names the failure,
                    -- the server log keeps the provider's own message.
                    reason := pg_catalog.format('provider %s failed (SQLSTATE %s)', fn.signature, SQLSTATE);
                    failure := SQLERRM;
                END;
                IF reason IS NULL AND raw IS NULL THEN
                    reason := pg_catalog.format('provider %s returned NULL', fn.signature);
                ELSIF reason IS NULL THEN
                    BEGIN
                        part := @extschema@.profile_conform(sec.shape, raw, sec.section, sec.max_items);
                    EXCEPTION WHEN OTHERS THEN
                        reason := pg_catalog.format('provider %s returned the wrong shape: %s',
                                                    fn.signature, SQLERRM);
                    END;
                END IF;
            END IF;
            IF reason IS NOT NULL THEN
                part := NULL;
                IF failure IS NULL THEN
                    RAISE WARNING 'project profile section "%" is empty: %', sec.section, reason;
                ELSE
                    RAISE WARNING 'project profile section "%" is empty: %', sec.section, reason
                        USING DETAIL = failure;
                    failure := NULL;
                END IF;
                warnings := warnings OPERATOR(pg_catalog.||)
                            (SELECT pg_catalog.row_to_json(w)::text
                               FROM (SELECT sec.section AS section, reason AS reason) w);
            END IF;
        END IF;
        parts := parts OPERATOR(pg_catalog.||)
                 (pg_catalog.to_json(sec.section)::text OPERATOR(pg_catalog.||) ':'
                  OPERATOR(pg_catalog.||) coalesce(part, sec.empty::text));
    END LOOP;
    RETURN ('{"inventory":{' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(parts, ',')
            OPERATOR(pg_catalog.||) '},"warnings":[' OPERATOR(pg_catalog.||)
            pg_catalog.array_to_string(warnings, ',') OPERATOR(pg_catalog.||) ']}')::json;
END
$$;
COMMENT ON FUNCTION @extschema@.project_profile_build(bigint) IS
'build the team''s project profile payload {inventory, warnings} from the database; the same data gives the same bytes; writes nothing';

-- The newest cached profile of the current builder version; fresh_only skips expired rows.
CREATE FUNCTION @extschema@.project_profile_cached(team_id bigint, fresh_only boolean)
RETURNS SETOF @extschema@.project_profiles
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.*
      FROM @extschema@.project_profiles p
     WHERE p.team_id OPERATOR(pg_catalog.=) $1
       AND p.source_version OPERATOR(pg_catalog.=) @extschema@.profile_source_version()
       AND (NOT $2 OR p.expires_at OPERATOR(pg_catalog.>) pg_catalog.now())
     ORDER BY p.computed_at DESC, p.id DESC
     LIMIT 1
$$;
COMMENT ON FUNCTION @extschema@.project_profile_cached(bigint, boolean) IS
'the team''s newest cached project profile built by the current builder version (only unexpired ones when fresh_only), or no row';

-- The team's fresh profile: the cached one, else built now (force: always built now).
CREATE FUNCTION @extschema@.project_profile_compute(team_id bigint, force boolean DEFAULT false)
RETURNS @extschema@.project_profiles
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    built @extschema@.project_profiles;
    payload json;
    computed timestamptz;
BEGIN
    IF NOT coalesce(force, false) THEN
        SELECT * INTO built FROM @extschema@.project_profile_cached(team_id, true);
        IF FOUND THEN
            RETURN built;
        END IF;
    END IF;
    -- One build per team at a time.  A concurrent miss waits here, then
    -- finds the row the first one committed (in READ COMMITTED every
    -- statement below sees it).
    PERFORM @extschema@.profile_build_lock(team_id);
    IF NOT coalesce(force, false) THEN
        SELECT * INTO built FROM @extschema@.project_profile_cached(team_id, true);
        IF FOUND THEN
            RETURN built;
        END IF;
    END IF;
    payload := @extschema@.project_profile_build(team_id);
    computed := pg_catalog.clock_timestamp();
    -- A hot standby cannot store it: the profile is built for this answer only.
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN ROW(team_id, @extschema@.uuid_v7(), @extschema@.profile_source_version(), payload,
                   computed, computed OPERATOR(pg_catalog.+) @extschema@.profile_ttl());
    END IF;
    INSERT INTO @extschema@.project_profiles (team_id, source_version, payload, computed_at, expires_at)
    VALUES (team_id, @extschema@.profile_source_version(), payload, computed,
            computed OPERATOR(pg_catalog.+) @extschema@.profile_ttl())
    RETURNING * INTO built;
    -- Keep the newest 10 rows of the team.
    DELETE FROM @extschema@.project_profiles old
     WHERE old.team_id OPERATOR(pg_catalog.=) project_profile_compute.team_id
       AND NOT old.id OPERATOR(pg_catalog.=) ANY (ARRAY(
               SELECT k.id FROM @extschema@.project_profiles k
                WHERE k.team_id OPERATOR(pg_catalog.=) project_profile_compute.team_id
                ORDER BY k.computed_at DESC, k.id DESC
                LIMIT 10));
    RETURN built;
END
$$;
COMMENT ON FUNCTION @extschema@.project_profile_compute(bigint, boolean) IS
'the team''s fresh project profile row: the newest unexpired row of the current version, else one built now under the team''s build lock (always built when force); keeps the newest 10 rows; on a hot standby, a row built now is returned without being stored';

CREATE TYPE @extschema@.api_project_profile AS (
    profile_id uuid, computed_at text, expires_at text, source_version text, payload json);
COMMENT ON TYPE @extschema@.api_project_profile IS
'the JSON shape of GET scout/project_profile/current/';

-- A cached profile as the API shows it.  No SET search_path, so that it inlines.
CREATE FUNCTION @extschema@.project_profile_json(p @extschema@.project_profiles)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(p.id, @extschema@.iso_time(p.computed_at),
                                      @extschema@.iso_time(p.expires_at), p.source_version,
                                      p.payload)::@extschema@.api_project_profile)
$$;
COMMENT ON FUNCTION @extschema@.project_profile_json(@extschema@.project_profiles) IS
'a cached project profile as the API shows it: {profile_id, computed_at, expires_at, source_version, payload}';

-- GET scout/project_profile/current/
CREATE FUNCTION @extschema@.project_profile_current(
    team_id bigint,
    is_scout_token boolean DEFAULT false,
    force_refresh boolean DEFAULT false)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_row @extschema@.project_profiles;
BEGIN
    IF coalesce(is_scout_token, false) THEN
        found_row := @extschema@.project_profile_compute(team_id, coalesce(force_refresh, false));
    ELSE
        -- Other callers never build, whatever force_refresh says: they get
        -- the newest row of the current version, fresh or not.
        SELECT * INTO found_row FROM @extschema@.project_profile_cached(team_id, false);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'No project profile has been built for this team yet.'
                USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    RETURN @extschema@.project_profile_json(found_row);
END
$$;
COMMENT ON FUNCTION @extschema@.project_profile_current(bigint, boolean, boolean) IS
'the team''s project profile: internal scout tokens get the fresh cached row or one built now (always with force_refresh); other callers get the newest cached row, or no_data_found when none was built';
