-- Scout configs and runs: created, started and finished by the scout harness
-- through SQL; read through scout/runs/.

-- Configure a scout skill for a team (or change it); returns the config id.
CREATE FUNCTION @extschema@.set_scout_config(
    team_id bigint,
    skill_name text,
    enabled boolean DEFAULT NULL,
    emit boolean DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config_id uuid;
BEGIN
    PERFORM @extschema@.check_text_field('skill_name', skill_name, 200);
    INSERT INTO @extschema@.scout_configs AS c (team_id, skill_name, enabled, emit)
    VALUES (set_scout_config.team_id, set_scout_config.skill_name,
            coalesce(set_scout_config.enabled, true), coalesce(set_scout_config.emit, true))
    ON CONFLICT ON CONSTRAINT scout_configs_skill_key DO UPDATE
       SET enabled = coalesce(set_scout_config.enabled, c.enabled),
           emit = coalesce(set_scout_config.emit, c.emit),
           updated_at = excluded.updated_at  -- now(), the default (Citus takes no volatile call here)
    RETURNING c.id INTO config_id;
    RETURN config_id;
END
$$;
COMMENT ON FUNCTION @extschema@.set_scout_config(bigint, text, boolean, boolean) IS
'create or change the scout config of a skill; emit = false makes its runs dry runs; NULL arguments keep the current value';

-- Create a run of a configured skill; returns the run id.
CREATE FUNCTION @extschema@.create_scout_run(
    team_id bigint,
    skill_name text,
    skill_version integer DEFAULT 1,
    task_id text DEFAULT NULL,
    task_run_id text DEFAULT NULL,
    status text DEFAULT 'queued')
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config_id uuid;
    run_id uuid;
BEGIN
    PERFORM @extschema@.check_text_field('skill_name', skill_name, 200);
    IF status IS NULL OR status OPERATOR(pg_catalog.<>) ALL ('{not_started,queued,in_progress}'::text[]) THEN
        RAISE EXCEPTION 'a new run''s status must be not_started, queued or in_progress'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
    END IF;
    SELECT c.id INTO config_id
      FROM @extschema@.scout_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) create_scout_run.team_id
       AND c.skill_name OPERATOR(pg_catalog.=) create_scout_run.skill_name;
    INSERT INTO @extschema@.scout_runs
        (team_id, scout_config_id, skill_name, skill_version, task_id, task_run_id, status, started_at)
    VALUES (create_scout_run.team_id, config_id, create_scout_run.skill_name,
            coalesce(create_scout_run.skill_version, 1), create_scout_run.task_id,
            create_scout_run.task_run_id, create_scout_run.status,
            CASE WHEN create_scout_run.status OPERATOR(pg_catalog.=) 'in_progress' THEN pg_catalog.now() END)
    RETURNING id INTO run_id;
    RETURN run_id;
END
$$;
COMMENT ON FUNCTION @extschema@.create_scout_run(bigint, text, integer, text, text, text) IS
'create a scout run for a skill (linked to its scout config when one exists); returns the run id';

-- The run's status, the run locked for update; not found when it is missing.
CREATE FUNCTION @extschema@.locked_scout_run_status(team_id bigint, run_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current text;
BEGIN
    SELECT r.status INTO current
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) locked_scout_run_status.team_id
       AND r.id OPERATOR(pg_catalog.=) locked_scout_run_status.run_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'scout run not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN current;
END
$$;
COMMENT ON FUNCTION @extschema@.locked_scout_run_status(bigint, uuid) IS
'lock a scout run and return its status (the not-found error when there is no such run)';

-- Mark a run as started.
CREATE FUNCTION @extschema@.start_scout_run(team_id bigint, run_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current text := @extschema@.locked_scout_run_status(team_id, run_id);
BEGIN
    IF current OPERATOR(pg_catalog.<>) ALL ('{not_started,queued}'::text[]) THEN
        RAISE EXCEPTION 'cannot start a run that is %', current
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE @extschema@.scout_runs r
       SET status = 'in_progress', started_at = pg_catalog.now()
     WHERE r.team_id OPERATOR(pg_catalog.=) start_scout_run.team_id
       AND r.id OPERATOR(pg_catalog.=) start_scout_run.run_id;
END
$$;
COMMENT ON FUNCTION @extschema@.start_scout_run(bigint, uuid) IS
'move a not-started or queued run to in_progress';

-- Finish a run: completed, failed or cancelled, with its summary and error.
CREATE FUNCTION @extschema@.finish_scout_run(
    team_id bigint,
    run_id uuid,
    status text,
    summary text DEFAULT NULL,
    error text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current text;
BEGIN
    IF status IS NULL OR status OPERATOR(pg_catalog.<>) ALL ('{completed,failed,cancelled}'::text[]) THEN
        RAISE EXCEPTION 'a run finishes as completed, failed or cancelled'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
    END IF;
    current := @extschema@.locked_scout_run_status(team_id, run_id);
    IF current OPERATOR(pg_catalog.=) ANY ('{completed,failed,cancelled}'::text[]) THEN
        RAISE EXCEPTION 'the run has already finished as %', current
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE @extschema@.scout_runs r
       SET status = finish_scout_run.status,
           summary = coalesce(finish_scout_run.summary, r.summary),
           error = CASE WHEN finish_scout_run.status OPERATOR(pg_catalog.=) 'completed'
                        THEN NULL ELSE finish_scout_run.error END,
           completed_at = pg_catalog.now()
     WHERE r.team_id OPERATOR(pg_catalog.=) finish_scout_run.team_id
       AND r.id OPERATOR(pg_catalog.=) finish_scout_run.run_id;
END
$$;
COMMENT ON FUNCTION @extschema@.finish_scout_run(bigint, uuid, text, text, text) IS
'finish a run as completed, failed or cancelled, recording its summary and (for failures) its error';

CREATE TYPE @extschema@.api_scout_run AS (
    run_id uuid, skill_name text, skill_version integer, status text, started_at text,
    completed_at text, task_id text, task_run_id text, task_url text, summary text,
    created_at text, emitted_count integer, emitted_finding_ids text[], error text);
COMMENT ON TYPE @extschema@.api_scout_run IS
'the JSON shape of a scout run in API responses';

-- A run as the API shows it (inlinable, like source_config_json).
CREATE FUNCTION @extschema@.scout_run_json(r @extschema@.scout_runs)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(
               r.id, r.skill_name, r.skill_version, r.status,
               @extschema@.iso_time(r.started_at), @extschema@.iso_time(r.completed_at),
               r.task_id, r.task_run_id,
               CASE WHEN r.task_id IS NOT NULL AND r.task_run_id IS NOT NULL
                    THEN pg_catalog.format('/project/%s/tasks/%s?runId=%s',
                                           r.team_id, r.task_id, r.task_run_id)
               END,
               r.summary, @extschema@.iso_time(r.created_at),
               r.emitted_count, r.emitted_finding_ids, r.error)::@extschema@.api_scout_run)
$$;
COMMENT ON FUNCTION @extschema@.scout_run_json(@extschema@.scout_runs) IS
'a scout run as the API shows it';

-- GET scout/runs/: recent runs newest first, in a half-open window on creation time.
CREATE FUNCTION @extschema@.scout_runs_list(
    team_id bigint,
    date_from timestamptz DEFAULT NULL,
    date_to timestamptz DEFAULT NULL,
    text_filter text DEFAULT NULL,
    max_runs integer DEFAULT 20)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    IF max_runs IS NOT NULL AND (max_runs OPERATOR(pg_catalog.<) 1 OR max_runs OPERATOR(pg_catalog.>) 100) THEN
        RAISE EXCEPTION 'limit must be between 1 and 100'
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = 'limit';
    END IF;
    SELECT coalesce(pg_catalog.json_agg(@extschema@.scout_run_json(r)
                                        ORDER BY r.created_at DESC, r.id DESC),
                    '[]')
      INTO result
      FROM (SELECT *
              FROM @extschema@.scout_runs r
             WHERE r.team_id OPERATOR(pg_catalog.=) scout_runs_list.team_id
               AND (scout_runs_list.date_from IS NULL
                    OR r.created_at OPERATOR(pg_catalog.>=) scout_runs_list.date_from)
               AND (scout_runs_list.date_to IS NULL
                    OR r.created_at OPERATOR(pg_catalog.<) scout_runs_list.date_to)
               AND (coalesce(text_filter, '') OPERATOR(pg_catalog.=) ''
                    OR r.summary OPERATOR(pg_catalog.~~*) @extschema@.contains_pattern(text_filter))
             ORDER BY r.created_at DESC, r.id DESC
             LIMIT coalesce(max_runs, 20)) r;
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.scout_runs_list(bigint, timestamptz, timestamptz, text, integer) IS
'the team''s scout runs newest first: created in [date_from, date_to), summary matching text_filter, at most max_runs (1..100)';

-- GET scout/runs/:id/
CREATE FUNCTION @extschema@.scout_run_get(team_id bigint, run_id uuid)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.scout_run_json(ROW(r.*)::@extschema@.scout_runs) INTO result  -- ROW(): see 98_citus.sql
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_run_get.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_run_get.run_id;
    IF result IS NULL THEN
        RAISE EXCEPTION 'scout run not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.scout_run_get(bigint, uuid) IS
'one scout run of the team';
