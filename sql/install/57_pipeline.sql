-- The processing pipeline: drain the teams' queues.  The background worker
-- calls process_next_team() in a loop, one transaction each; without the
-- preloaded library, process_pending() does the same on demand (by hand or
-- from pg_cron).

-- Group one batch of the next team, after after_team in team order, that has
-- queued signals and is not paused, then summarize its new candidates.
-- Teams are locked with SKIP LOCKED, so concurrent callers take different
-- teams and one team's signals are grouped by one caller at a time.
CREATE FUNCTION @extschema@.process_next_team(
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

-- Drain every unpaused team's queue now, in team order, each team's signals
-- in arrival order; returns how many signals were grouped.
CREATE FUNCTION @extschema@.process_pending(max_signals integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    budget bigint := coalesce(max_signals, 9223372036854775807);
    done bigint := 0;
    cursor_team bigint := 0;
    step record;
BEGIN
    IF budget OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'max_signals must not be negative'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'max_signals';
    END IF;
    WHILE done OPERATOR(pg_catalog.<) budget LOOP
        step := @extschema@.process_next_team(
                    cursor_team, pg_catalog.int8smaller(budget OPERATOR(pg_catalog.-) done, 1000)::integer);
        EXIT WHEN step.team_id IS NULL;
        done := done OPERATOR(pg_catalog.+) step.grouped;
        -- Stay on a team while it still has signals; move on once it is drained
        -- or another session is grouping it.
        IF step.grouped OPERATOR(pg_catalog.=) 0 THEN
            cursor_team := step.team_id;
        ELSE
            cursor_team := step.team_id OPERATOR(pg_catalog.-) 1;
        END IF;
    END LOOP;
    RETURN done;
END
$$;
COMMENT ON FUNCTION @extschema@.process_pending(integer) IS
'group queued signals of every unpaused team now (at most max_signals); for installations without the background worker';

-- Draining queues is the workers' job, or an administrator's (pg_cron).
REVOKE ALL ON FUNCTION @extschema@.process_next_team(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.process_pending(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.summarize_candidates(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.summarize_report(bigint, uuid) FROM PUBLIC;
