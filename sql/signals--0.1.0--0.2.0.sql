-- signals 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION signals UPDATE TO '0.2.0'" to load this file. \quit

-- The library loaded in this session must be 0.2.0's: the functions below
-- name its symbols.  A server that loaded 0.1.0's library before the new
-- one was installed keeps it until it restarts.
DO $$
BEGIN
    CREATE FUNCTION @extschema@.library_version()
    RETURNS text
    AS 'MODULE_PATHNAME', 'signals_library_version'
    LANGUAGE C STABLE PARALLEL SAFE;
EXCEPTION WHEN undefined_function THEN
    RAISE EXCEPTION 'the signals library loaded in this server is older than version 0.2.0'
        USING DETAIL = 'The server loaded the library before version 0.2.0 was installed.',
              HINT = 'Restart PostgreSQL so that it loads the installed library, then run ALTER EXTENSION signals UPDATE again.';
END
$$;
COMMENT ON FUNCTION @extschema@.library_version() IS
'the version of the signals library loaded in this session; it serves only a schema of the same version (ALTER EXTENSION signals UPDATE after installing a new one)';

-- C functions whose work depends on the schema: the symbols of 0.2.0.
CREATE OR REPLACE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text DEFAULT '',
    headers jsonb DEFAULT '{}',
    body bytea DEFAULT NULL)
RETURNS @extschema@.http_response
AS 'MODULE_PATHNAME', 'signals_http_handle_0_2_0'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD';
CREATE OR REPLACE FUNCTION @extschema@.routes(
    OUT method text,
    OUT path text,
    OUT scope text,
    OUT function text,
    OUT response text,
    OUT success_status integer,
    OUT summary text,
    OUT args json,
    OUT result text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'signals_routes_list_0_2_0'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.group_pending(team_id bigint, max_signals integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'signals_group_pending_0_2_0'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
CREATE OR REPLACE FUNCTION @extschema@.grouping_features(description text, team_id bigint DEFAULT NULL)
RETURNS TABLE (feature text, kind text, df integer, weight real)
AS 'MODULE_PATHNAME', 'signals_grouping_features_0_2_0'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
CREATE OR REPLACE FUNCTION @extschema@.signal_similarity(a text, b text, team_id bigint DEFAULT NULL)
RETURNS real
AS 'MODULE_PATHNAME', 'signals_signal_similarity_0_2_0'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
CREATE OR REPLACE FUNCTION @extschema@.grouping_rebuild(team_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'signals_grouping_rebuild_0_2_0'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;

-- create_team(name) skips ids that teams created with explicit ids hold.
-- Create a team with its settings row; the id is the PostHog project id when given.
-- Without an id, the sequence's next value that no team holds: teams created
-- with explicit ids are skipped, never collided with.
CREATE OR REPLACE FUNCTION @extschema@.create_team(name text, team_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id bigint := team_id;
BEGIN
    IF new_id OPERATOR(pg_catalog.<=) 0 THEN
        RAISE EXCEPTION 'team id must be positive'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'team_id';
    END IF;
    IF new_id IS NOT NULL THEN
        INSERT INTO @extschema@.teams (team_id, name) VALUES (new_id, name);
    ELSE
        -- ON CONFLICT waits for a concurrent insert of the same id and then
        -- skips it, so a sequence value some team holds is passed over.
        LOOP
            new_id := pg_catalog.nextval('@extschema@.team_id_seq');
            CONTINUE WHEN EXISTS (SELECT FROM @extschema@.teams t
                                   WHERE t.team_id OPERATOR(pg_catalog.=) new_id);
            INSERT INTO @extschema@.teams AS t (team_id, name) VALUES (new_id, name)
            ON CONFLICT ON CONSTRAINT teams_pkey DO NOTHING;
            EXIT WHEN FOUND;
        END LOOP;
    END IF;
    INSERT INTO @extschema@.team_settings (team_id) VALUES (new_id);
    INSERT INTO @extschema@.processing_state (team_id) VALUES (new_id);
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.create_team(text, bigint) IS
'create a team (project) with default settings; returns its id (without one: the next sequence value that no team holds)';

-- Emits in a database no worker serves say so.
-- Why no background worker will group a signal queued in this database, or
-- NULL when one will (or when signals.warn_unserved_emits is off).
CREATE FUNCTION @extschema@.unserved_queue_warning()
RETURNS text
AS 'MODULE_PATHNAME', 'signals_unserved_queue_warning'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.unserved_queue_warning() IS
'a sentence saying why no background worker groups the signals queued in this database (library not preloaded, no workers, workers serving another database), or NULL when they are grouped or signals.warn_unserved_emits is off';

-- An emit's answer with the unserved-queue warning added as its last field
-- (only when there is one, so that the usual answer keeps its shape).
CREATE FUNCTION @extschema@.emit_answer(answer json, warning text)
RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN $2 IS NULL THEN $1
                ELSE (pg_catalog.left(pg_catalog.rtrim($1::text), -1)
                      OPERATOR(pg_catalog.||) ',"warning":'
                      OPERATOR(pg_catalog.||) pg_catalog.to_json($2)::text
                      OPERATOR(pg_catalog.||) '}')::json END
$$;
COMMENT ON FUNCTION @extschema@.emit_answer(json, text) IS
'an emit''s JSON answer with a "warning" field appended when warning is not NULL';

-- Queue a validated signal.  An application signal repeating (product, type,
-- source id) is not stored again: inserted is false and signal_id names the
-- signal already stored.
CREATE OR REPLACE FUNCTION @extschema@.enqueue_signal(
    team_id bigint,
    source_product text,
    source_type text,
    source_id text,
    description text,
    weight double precision,
    extra jsonb,
    dedupe_keys text[],
    run_id uuid,
    OUT signal_id uuid,
    OUT inserted boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    warning text;
BEGIN
    IF enqueue_signal.run_id IS NULL THEN
        INSERT INTO @extschema@.signals AS s
            (team_id, source_product, source_type, source_id, description, weight, extra, dedupe_keys)
        VALUES (enqueue_signal.team_id, enqueue_signal.source_product, enqueue_signal.source_type,
                enqueue_signal.source_id, enqueue_signal.description, enqueue_signal.weight,
                enqueue_signal.extra, enqueue_signal.dedupe_keys)
        ON CONFLICT (team_id, source_product, source_type, source_id) WHERE run_id IS NULL DO NOTHING
        RETURNING s.id INTO signal_id;
        inserted := FOUND;
        IF NOT inserted THEN
            SELECT s.id INTO signal_id
              FROM @extschema@.signals s
             WHERE s.team_id OPERATOR(pg_catalog.=) enqueue_signal.team_id
               AND s.source_product OPERATOR(pg_catalog.=) enqueue_signal.source_product
               AND s.source_type OPERATOR(pg_catalog.=) enqueue_signal.source_type
               AND s.source_id OPERATOR(pg_catalog.=) enqueue_signal.source_id
               AND s.run_id IS NULL;
            RETURN;
        END IF;
    ELSE
        INSERT INTO @extschema@.signals AS s
            (team_id, source_product, source_type, source_id, description, weight, extra, dedupe_keys, run_id)
        VALUES (enqueue_signal.team_id, enqueue_signal.source_product, enqueue_signal.source_type,
                enqueue_signal.source_id, enqueue_signal.description, enqueue_signal.weight,
                enqueue_signal.extra, enqueue_signal.dedupe_keys, enqueue_signal.run_id)
        RETURNING s.id INTO signal_id;
        inserted := true;
    END IF;
    PERFORM @extschema@.wake_worker();
    warning := @extschema@.unserved_queue_warning();
    IF warning IS NOT NULL THEN
        RAISE NOTICE 'signal queued in database "%", where no background worker groups signals', pg_catalog.current_database()
            USING DETAIL = warning,
                  HINT = 'Set signals.database to this database and restart, or drain the queue with signals.process_pending() (from pg_cron, say) and set signals.warn_unserved_emits = off.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.enqueue_signal(bigint, text, text, text, text, double precision, jsonb, text[], uuid) IS
'store a validated signal in its team''s queue and wake the workers (with a NOTICE when no worker serves this database); application signals are stored once per (product, type, source id)';

-- Emit a signal from an application.
CREATE OR REPLACE FUNCTION @extschema@.emit_signal(
    team_id bigint,
    source_product text,
    source_type text,
    source_id text,
    description text,
    weight double precision DEFAULT 1.0,
    extra jsonb DEFAULT '{}',
    dedupe_keys text[] DEFAULT '{}')
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    gate text;
    queued record;
BEGIN
    PERFORM @extschema@.check_source(source_product, source_type);
    PERFORM @extschema@.check_text_field('source_id', source_id, 500);
    PERFORM @extschema@.check_text_field('description', description, 50000);
    PERFORM @extschema@.check_unit_interval('weight', weight);
    IF extra IS NOT NULL AND pg_catalog.jsonb_typeof(extra) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'extra';
    END IF;
    PERFORM @extschema@.check_dedupe_keys(dedupe_keys);

    gate := @extschema@.emit_gate(team_id, source_product, source_type);
    IF gate IS NOT NULL THEN
        RETURN pg_catalog.row_to_json(r)
          FROM (SELECT false AS emitted, NULL::uuid AS signal_id, gate AS skipped_reason) r;
    END IF;

    queued := @extschema@.enqueue_signal(team_id, source_product, source_type, source_id, description,
                                         coalesce(weight, 1.0), coalesce(extra, '{}'),
                                         coalesce(dedupe_keys, '{}'), NULL);
    RETURN @extschema@.emit_answer(
               pg_catalog.row_to_json(r),
               CASE WHEN queued.inserted THEN @extschema@.unserved_queue_warning() END)
      FROM (SELECT queued.inserted AS emitted, queued.signal_id,
                   CASE WHEN NOT queued.inserted THEN 'duplicate' END AS skipped_reason) r;
END
$$;
COMMENT ON FUNCTION @extschema@.emit_signal(bigint, text, text, text, text, double precision, jsonb, text[]) IS
'emit a signal from an application: validated, queued for grouping when the caller commits, skipped (with a reason) when AI processing is not approved, the source is disabled, or the same (product, type, source id) was already emitted; a "warning" field says when no background worker serves this database';

-- POST scout/runs/:id/emit-signal/: emit a finding of an in-progress scout run.
CREATE OR REPLACE FUNCTION @extschema@.scout_emit(
    team_id bigint,
    run_id uuid,
    description text,
    weight double precision DEFAULT NULL,
    confidence double precision DEFAULT NULL,
    evidence jsonb DEFAULT NULL,
    hypothesis text DEFAULT NULL,
    severity text DEFAULT NULL,
    dedupe_keys text[] DEFAULT NULL,
    time_range jsonb DEFAULT NULL,
    mcp_trace_id text DEFAULT NULL,
    finding_id text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run @extschema@.scout_runs;
    config @extschema@.scout_configs;
    gate text;
    i integer;
    queued record;
BEGIN
    SELECT * INTO run
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_emit.run_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'scout run not found' USING ERRCODE = 'no_data_found';
    END IF;
    IF run.status OPERATOR(pg_catalog.<>) 'in_progress' THEN
        RAISE EXCEPTION 'findings can only be emitted on in-progress runs (current: %)', run.status
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
    END IF;

    PERFORM @extschema@.check_text_field('description', description, 50000);
    PERFORM @extschema@.check_unit_interval('weight', weight);
    PERFORM @extschema@.check_unit_interval('confidence', confidence);
    IF evidence IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(evidence) OPERATOR(pg_catalog.<>) 'array' THEN
            RAISE EXCEPTION 'evidence must be a JSON array'
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'evidence';
        END IF;
        IF pg_catalog.jsonb_array_length(evidence) OPERATOR(pg_catalog.>) 20 THEN
            RAISE EXCEPTION 'evidence has % entries, max is 20', pg_catalog.jsonb_array_length(evidence)
                USING ERRCODE = 'string_data_right_truncation', COLUMN = 'evidence';
        END IF;
        FOR i IN 0 .. pg_catalog.jsonb_array_length(evidence) OPERATOR(pg_catalog.-) 1 LOOP
            IF pg_catalog.jsonb_typeof(evidence OPERATOR(pg_catalog.->) i) OPERATOR(pg_catalog.<>) 'object' THEN
                RAISE EXCEPTION 'evidence[%] must be a JSON object', i
                    USING ERRCODE = 'invalid_parameter_value', COLUMN = 'evidence';
            END IF;
        END LOOP;
    END IF;
    IF hypothesis IS NOT NULL AND pg_catalog.length(hypothesis) OPERATOR(pg_catalog.>) 10000 THEN
        RAISE EXCEPTION 'hypothesis has % characters, max is 10000', pg_catalog.length(hypothesis)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'hypothesis';
    END IF;
    IF severity IS NOT NULL AND severity OPERATOR(pg_catalog.<>) ALL ('{P0,P1,P2,P3,P4}'::text[]) THEN
        RAISE EXCEPTION '"%" is not a valid severity', pg_catalog.left(severity, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'severity',
                  HINT = 'Severity is one of P0, P1, P2, P3, P4.';
    END IF;
    PERFORM @extschema@.check_dedupe_keys(dedupe_keys);
    IF time_range IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(time_range OPERATOR(pg_catalog.->) 'date_from') IS DISTINCT FROM 'string'
           OR pg_catalog.jsonb_typeof(time_range OPERATOR(pg_catalog.->) 'date_to') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'time_range must have string fields date_from and date_to'
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'time_range';
        END IF;
    END IF;
    IF mcp_trace_id IS NOT NULL AND pg_catalog.length(mcp_trace_id) OPERATOR(pg_catalog.>) 200 THEN
        RAISE EXCEPTION 'mcp_trace_id has % characters, max is 200', pg_catalog.length(mcp_trace_id)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'mcp_trace_id';
    END IF;
    IF finding_id IS NULL OR @extschema@.is_blank(finding_id) THEN
        finding_id := pg_catalog.gen_random_uuid()::text;
    ELSIF pg_catalog.length(finding_id) OPERATOR(pg_catalog.>) 100 THEN
        RAISE EXCEPTION 'finding_id has % characters, max is 100', pg_catalog.length(finding_id)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'finding_id';
    END IF;

    -- The preflight gates, in order; a skipped emit writes nothing.
    SELECT * INTO config
      FROM @extschema@.scout_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND c.id OPERATOR(pg_catalog.=) run.scout_config_id;
    IF NOT FOUND THEN
        gate := 'scout_config_missing';
    ELSIF NOT config.emit THEN
        gate := 'scout_emit_disabled';
    ELSE
        gate := @extschema@.emit_gate(team_id, 'signals_scout', 'cross_source_issue');
    END IF;
    IF gate IS NOT NULL THEN
        RETURN pg_catalog.row_to_json(ROW(finding_id, false, gate)::@extschema@.api_emit);
    END IF;

    queued := @extschema@.enqueue_signal(
        team_id, 'signals_scout', 'cross_source_issue',
        pg_catalog.format('run:%s:finding:%s', run_id, finding_id),
        description, coalesce(weight, 1.0),
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'scout_run_id', run_id, 'finding_id', finding_id,
            'skill_name', run.skill_name, 'skill_version', run.skill_version,
            'confidence', confidence, 'evidence', coalesce(evidence, '[]'),
            'hypothesis', hypothesis, 'severity', severity, 'dedupe_keys', dedupe_keys,
            'time_range', time_range, 'mcp_trace_id', mcp_trace_id)),
        coalesce(dedupe_keys, '{}'), run_id);
    UPDATE @extschema@.scout_runs r
       SET emitted_count = r.emitted_count OPERATOR(pg_catalog.+) 1,
           emitted_finding_ids = r.emitted_finding_ids OPERATOR(pg_catalog.||) scout_emit.finding_id
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_emit.run_id;
    RETURN @extschema@.emit_answer(pg_catalog.row_to_json(ROW(finding_id, true, NULL)::@extschema@.api_emit),
                                   @extschema@.unserved_queue_warning());
END
$$;
COMMENT ON FUNCTION @extschema@.scout_emit(bigint, uuid, text, double precision, double precision, jsonb, text, text, text[], jsonb, text, text) IS
'emit a finding of an in-progress scout run as a signals_scout/cross_source_issue signal; not idempotent: every call emits; a "warning" field says when no background worker serves this database';

COMMENT ON TYPE @extschema@.api_emit IS
'the JSON shape of POST scout/runs/:id/emit-signal/ (followed by a "warning" field when no background worker serves the database)';

-- The research queues are indexed; no worker step reads other teams' rows.
CREATE INDEX reports_candidates_idx
    ON @extschema@.reports (team_id, promoted_at, id)
    WHERE status OPERATOR(pg_catalog.=) 'candidate';
CREATE INDEX reports_candidates_all_teams_idx
    ON @extschema@.reports (promoted_at, team_id, id)
    WHERE status OPERATOR(pg_catalog.=) 'candidate';
CREATE INDEX reports_claims_idx
    ON @extschema@.reports (claimed_at, team_id, id)
    WHERE status OPERATOR(pg_catalog.=) 'in_progress' AND claimed_at IS NOT NULL;
-- External research: claim the oldest candidate (of one team, or of any team
-- when team_id is NULL) for an agent.  Returns the report with its signals,
-- or NULL when there is nothing to claim.  Agents LISTEN on signals_candidates.
CREATE OR REPLACE FUNCTION @extschema@.claim_candidate(agent text, team_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    picked record;
BEGIN
    PERFORM @extschema@.check_text_field('agent', agent, 200);
    -- Two queries, so that each reads its own index of candidates
    -- (reports_candidates_idx, reports_candidates_all_teams_idx).
    IF claim_candidate.team_id IS NULL THEN
        SELECT r.team_id, r.id INTO picked
          FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'candidate'
         ORDER BY r.promoted_at, r.team_id, r.id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
    ELSE
        SELECT r.team_id, r.id INTO picked
          FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'candidate'
           AND r.team_id OPERATOR(pg_catalog.=) claim_candidate.team_id
         ORDER BY r.promoted_at, r.id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
    END IF;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM @extschema@.report_transition(picked.team_id, picked.id, 'in_progress');
    UPDATE @extschema@.reports r
       SET claimed_by = agent, claimed_at = pg_catalog.now()
     WHERE r.team_id OPERATOR(pg_catalog.=) picked.team_id
       AND r.id OPERATOR(pg_catalog.=) picked.id;
    RETURN pg_catalog.row_to_json(x)
      FROM (SELECT picked.team_id,
                   @extschema@.report_signals(picked.team_id, picked.id) AS claimed) x;
END
$$;
COMMENT ON FUNCTION @extschema@.claim_candidate(text, bigint) IS
'claim the oldest candidate report for an external research agent (candidate -> in_progress); NULL when none is waiting';

-- Group one batch of the next team, after after_team in team order, that has
-- queued signals and is not paused, then summarize its new candidates.
-- Teams are locked with SKIP LOCKED, so concurrent callers take different
-- teams and one team's signals are grouped by one caller at a time.
CREATE OR REPLACE FUNCTION @extschema@.process_next_team(
    after_team bigint,
    max_signals integer,
    OUT team_id bigint,
    OUT grouped integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The teams with queued signals, found by skipping through the queue
    -- index one team at a time rather than reading every queued signal.
    WITH RECURSIVE queued(team_id) AS (
        (SELECT s.team_id FROM @extschema@.signals s
          WHERE s.grouped_at IS NULL AND s.team_id OPERATOR(pg_catalog.>) after_team
          ORDER BY s.team_id LIMIT 1)
        UNION ALL
        SELECT (SELECT s.team_id FROM @extschema@.signals s
                 WHERE s.grouped_at IS NULL AND s.team_id OPERATOR(pg_catalog.>) q.team_id
                 ORDER BY s.team_id LIMIT 1)
          FROM queued q
         WHERE q.team_id IS NOT NULL)
    SELECT p.team_id INTO process_next_team.team_id
      FROM queued q
      JOIN @extschema@.processing_state p ON p.team_id OPERATOR(pg_catalog.=) q.team_id
     WHERE p.paused_until IS NULL OR p.paused_until OPERATOR(pg_catalog.<=) pg_catalog.now()
     ORDER BY p.team_id
     LIMIT 1
       FOR UPDATE OF p SKIP LOCKED;
    IF process_next_team.team_id IS NULL THEN
        grouped := 0;
        RETURN;
    END IF;
    -- A row some session keeps locked must not hold up every team (the
    -- workers wait less than this already).
    IF pg_catalog.current_setting('lock_timeout') OPERATOR(pg_catalog.=) '0' THEN
        PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    END IF;
    BEGIN
        grouped := @extschema@.group_pending(process_next_team.team_id, max_signals);
    EXCEPTION WHEN OTHERS THEN
        -- One team's trouble (a lock held too long, a row a SQL caller broke)
        -- leaves its signals queued for a later step and the other teams going.
        RAISE WARNING 'signals: grouping the signals of team % failed: %', process_next_team.team_id, SQLERRM;
        grouped := 0;
    END;
    PERFORM @extschema@.summarize_candidates(process_next_team.team_id);
END
$$;
COMMENT ON FUNCTION @extschema@.process_next_team(bigint, integer) IS
'group up to max_signals queued signals of the first unpaused team after after_team (locked, skipping teams others hold) and summarize its candidates; a failure is logged and leaves that team''s signals queued; team_id is NULL when no team is ready';

-- Pruning works without the preloaded library.
-- Remove grouping index rows that can no longer match.
CREATE OR REPLACE FUNCTION @extschema@.grouping_prune(team_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Calling the library loads it, and with it the setting read next (with
    -- its default), also where the library is not preloaded.
    library text := @extschema@.library_version();
    horizon timestamptz := pg_catalog.now() OPERATOR(pg_catalog.-)
        pg_catalog.make_interval(days => pg_catalog.current_setting('signals.grouping_window_days')::integer);
    gone bigint := 0;
    n bigint;
BEGIN
    -- profiles of deleted reports and of reports without a signal in the window
    DELETE FROM @extschema@.grouping_reports g
     USING @extschema@.reports r
     WHERE g.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND r.team_id OPERATOR(pg_catalog.=) g.team_id
       AND r.id OPERATOR(pg_catalog.=) g.report_id
       AND (r.status OPERATOR(pg_catalog.=) 'deleted'
            OR g.last_signal_at OPERATOR(pg_catalog.<) horizon);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    -- index rows of reports without a profile
    DELETE FROM @extschema@.grouping_postings p
     WHERE p.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND NOT EXISTS (SELECT FROM @extschema@.grouping_reports g
                        WHERE g.team_id OPERATOR(pg_catalog.=) p.team_id
                          AND g.report_id OPERATOR(pg_catalog.=) p.report_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    DELETE FROM @extschema@.grouping_dedupe k
     WHERE k.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND (k.last_seen_at OPERATOR(pg_catalog.<) horizon
            OR NOT EXISTS (SELECT FROM @extschema@.reports r
                            WHERE r.team_id OPERATOR(pg_catalog.=) k.team_id
                              AND r.id OPERATOR(pg_catalog.=) k.report_id
                              AND r.status OPERATOR(pg_catalog.<>) 'deleted'));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN gone OPERATOR(pg_catalog.+) n;
END
$$;
COMMENT ON FUNCTION @extschema@.grouping_prune(bigint) IS
'delete the team''s grouping index rows for deleted reports and reports without a signal in the window (also after the team itself was deleted); returns how many rows went';
REVOKE ALL ON FUNCTION @extschema@.grouping_prune(bigint) FROM PUBLIC;

-- On a hot standby the project profile is built without being stored.
-- The team's fresh profile: the cached one, else built now (force: always built now).
CREATE OR REPLACE FUNCTION @extschema@.project_profile_compute(team_id bigint, force boolean DEFAULT false)
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
    PERFORM pg_catalog.pg_advisory_xact_lock(1368498598, @extschema@.profile_lock_key(team_id));
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
'the team''s fresh project profile row: the newest unexpired row of the current version, else one built now under a per-team advisory lock (always built when force); keeps the newest 10 rows; on a hot standby, a row built now is returned without being stored';

-- Row-level security and pg_dump registration of the team tables, callable
-- by later upgrade scripts for the tables they add.
CREATE FUNCTION @extschema@.secure_team_tables()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t name;
BEGIN
    FOR t IN
        SELECT c.relname
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND c.relkind OPERATOR(pg_catalog.=) 'r'
           AND a.attname OPERATOR(pg_catalog.=) 'team_id'
           AND NOT a.attisdropped
           AND c.relname OPERATOR(pg_catalog.<>) ALL ('{api_keys,team_roles}'::name[])
         ORDER BY c.relname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_policy p
                        WHERE p.polrelid OPERATOR(pg_catalog.=) pg_catalog.format('@extschema@.%I', t)::regclass
                          AND p.polname OPERATOR(pg_catalog.=) 'team_isolation') THEN
            EXECUTE pg_catalog.format(
                'CREATE POLICY team_isolation ON @extschema@.%I
                     USING (team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids()))
                     WITH CHECK (team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids()))', t);
        END IF;
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.format('@extschema@.%I', t), '');
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.secure_team_tables() IS
'give every team-keyed table of the extension its row-level security policy and register it for pg_dump; run by the install script and again by upgrade scripts that add tables (only inside CREATE or ALTER EXTENSION)';
REVOKE ALL ON FUNCTION @extschema@.secure_team_tables() FROM PUBLIC;

SELECT @extschema@.secure_team_tables();
