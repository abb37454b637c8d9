-- processing/: the team's pause of the grouping pipeline.

CREATE TYPE @extschema@.api_processing_state AS (paused_until text);
COMMENT ON TYPE @extschema@.api_processing_state IS
'the JSON shape of the processing state in API responses';
CREATE TYPE @extschema@.api_pause AS (status text, paused_until text);
COMMENT ON TYPE @extschema@.api_pause IS
'the JSON shape of PUT processing/pause/';
CREATE TYPE @extschema@.api_unpause AS (status text, paused_until text, was_paused boolean);
COMMENT ON TYPE @extschema@.api_unpause IS
'the JSON shape of DELETE processing/pause/';

-- GET processing/: the processing state as a one-item page.
CREATE FUNCTION @extschema@.processing_list(
    team_id bigint,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    total := 1;
    IF page_offset OPERATOR(pg_catalog.>) 0 OR page_limit OPERATOR(pg_catalog.<) 1 THEN
        results := '[]';
        RETURN;
    END IF;
    SELECT pg_catalog.json_build_array(pg_catalog.row_to_json(
               ROW(@extschema@.iso_time(p.paused_until))::@extschema@.api_processing_state))
      INTO results
      FROM (SELECT) one
      LEFT JOIN @extschema@.processing_state p
             ON p.team_id OPERATOR(pg_catalog.=) processing_list.team_id;
END
$$;
COMMENT ON FUNCTION @extschema@.processing_list(bigint, integer, integer) IS
'the team''s processing state, paginated like every list (always one result)';

-- PUT processing/pause/: hold grouping of the team's signals until the given time.
CREATE FUNCTION @extschema@.processing_pause(team_id bigint, paused_until timestamptz)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF paused_until IS NULL THEN
        RAISE EXCEPTION 'timestamp is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'timestamp';
    END IF;
    IF NOT pg_catalog.isfinite(paused_until) THEN
        RAISE EXCEPTION 'timestamp must be a finite date and time'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'timestamp';
    END IF;
    INSERT INTO @extschema@.processing_state AS p (team_id, paused_until)
    VALUES (processing_pause.team_id, processing_pause.paused_until)
    ON CONFLICT ON CONSTRAINT processing_state_pkey DO UPDATE
       SET paused_until = excluded.paused_until, updated_at = excluded.updated_at;  -- now(), the default (Citus takes no volatile call here)
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.row_to_json(ROW('paused', @extschema@.iso_time(paused_until))::@extschema@.api_pause);
END
$$;
COMMENT ON FUNCTION @extschema@.processing_pause(bigint, timestamptz) IS
'pause grouping for the team until the given time; signals keep arriving and wait in the queue';

-- DELETE processing/pause/: end the pause now.
CREATE FUNCTION @extschema@.processing_unpause(team_id bigint)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    previous timestamptz;
BEGIN
    SELECT p.paused_until INTO previous
      FROM @extschema@.processing_state p
     WHERE p.team_id OPERATOR(pg_catalog.=) processing_unpause.team_id
       FOR UPDATE;
    INSERT INTO @extschema@.processing_state AS p (team_id, paused_until)
    VALUES (processing_unpause.team_id, NULL)
    ON CONFLICT ON CONSTRAINT processing_state_pkey DO UPDATE
       SET paused_until = NULL, updated_at = excluded.updated_at;  -- now(), the default (Citus takes no volatile call here)
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.row_to_json(ROW('unpaused', NULL,
                                      coalesce(previous OPERATOR(pg_catalog.>) pg_catalog.now(), false)
                                     )::@extschema@.api_unpause);
END
$$;
COMMENT ON FUNCTION @extschema@.processing_unpause(bigint) IS
'end the team''s pause; was_paused tells whether a pause was still in force';
