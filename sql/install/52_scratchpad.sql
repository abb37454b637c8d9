-- scout/scratchpad/: the scouts' memory, one entry per (team, key).

CREATE TYPE @extschema@.api_scratchpad_entry AS (
    key text, content text, created_at text, updated_at text, created_by_run_id uuid);
COMMENT ON TYPE @extschema@.api_scratchpad_entry IS
'the JSON shape of a scratchpad entry in API responses';

-- A scratchpad entry as the API shows it (inlinable, like source_config_json).
CREATE FUNCTION @extschema@.scratchpad_json(e @extschema@.scratchpad)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(e.key, e.content,
                                      @extschema@.iso_time(e.created_at),
                                      @extschema@.iso_time(e.updated_at),
                                      e.created_by_run_id)::@extschema@.api_scratchpad_entry)
$$;
COMMENT ON FUNCTION @extschema@.scratchpad_json(@extschema@.scratchpad) IS
'a scratchpad entry as the API shows it';

-- GET scout/scratchpad/: entries newest first, optionally matching a text.
CREATE FUNCTION @extschema@.scratchpad_list(
    team_id bigint,
    text_filter text DEFAULT NULL,
    max_entries integer DEFAULT 20)
RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    -- Two queries, not one with "filter IS NULL OR ...": each keeps a plan
    -- that fits it (the newest-first index, or the trigram indexes).
    IF coalesce(text_filter, '') OPERATOR(pg_catalog.=) '' THEN
        SELECT coalesce(pg_catalog.json_agg(@extschema@.scratchpad_json(e)
                                            ORDER BY e.updated_at DESC, e.key DESC), '[]')
          INTO result
          FROM (SELECT *
                  FROM @extschema@.scratchpad e
                 WHERE e.team_id OPERATOR(pg_catalog.=) scratchpad_list.team_id
                 ORDER BY e.updated_at DESC, e.key DESC
                 LIMIT pg_catalog.int4larger(1, pg_catalog.int4smaller(coalesce(max_entries, 20), 100))) e;
    ELSE
        SELECT coalesce(pg_catalog.json_agg(@extschema@.scratchpad_json(e)
                                            ORDER BY e.updated_at DESC, e.key DESC), '[]')
          INTO result
          FROM (SELECT *
                  FROM @extschema@.scratchpad e
                 WHERE e.team_id OPERATOR(pg_catalog.=) scratchpad_list.team_id
                   AND (e.key OPERATOR(pg_catalog.~~*) @extschema@.contains_pattern(text_filter)
                        OR e.content OPERATOR(pg_catalog.~~*) @extschema@.contains_pattern(text_filter))
                 ORDER BY e.updated_at DESC, e.key DESC
                 LIMIT pg_catalog.int4larger(1, pg_catalog.int4smaller(coalesce(max_entries, 20), 100))) e;
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.scratchpad_list(bigint, text, integer) IS
'the team''s scratchpad entries, newest first; text_filter matches key or content case-insensitively; max_entries is clamped to 1..100';

-- POST scout/scratchpad/: write an entry, or refresh the one with the same key.
CREATE FUNCTION @extschema@.scratchpad_upsert(
    team_id bigint,
    key text,
    content text,
    run_id uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    own_run uuid;
    written @extschema@.scratchpad;
BEGIN
    PERFORM @extschema@.check_text_field('key', key, 300);
    PERFORM @extschema@.check_text_field('content', content, 50000);
    -- A run of another team (or no run at all) is not recorded.
    SELECT r.id INTO own_run
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) scratchpad_upsert.team_id
       AND r.id OPERATOR(pg_catalog.=) scratchpad_upsert.run_id;
    INSERT INTO @extschema@.scratchpad AS e (team_id, key, content, created_by_run_id)
    VALUES (scratchpad_upsert.team_id, scratchpad_upsert.key, scratchpad_upsert.content, own_run)
    ON CONFLICT ON CONSTRAINT scratchpad_pkey DO UPDATE
       SET content = excluded.content, updated_at = excluded.updated_at  -- now(), the default (Citus takes no volatile call here)
    RETURNING * INTO written;
    RETURN @extschema@.scratchpad_json(written);
END
$$;
COMMENT ON FUNCTION @extschema@.scratchpad_upsert(bigint, text, text, uuid) IS
'write a scratchpad entry keyed on (team, key); an existing entry keeps its created_by_run_id';

CREATE TYPE @extschema@.api_forget AS (deleted boolean);
COMMENT ON TYPE @extschema@.api_forget IS
'the JSON shape of POST scout/scratchpad/forget/';

-- POST scout/scratchpad/forget/: delete an entry by key.
CREATE FUNCTION @extschema@.scratchpad_forget(team_id bigint, key text)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.check_text_field('key', key, 300);
    DELETE FROM @extschema@.scratchpad e
     WHERE e.team_id OPERATOR(pg_catalog.=) scratchpad_forget.team_id
       AND e.key OPERATOR(pg_catalog.=) scratchpad_forget.key;
    RETURN pg_catalog.row_to_json(ROW(FOUND)::@extschema@.api_forget);
END
$$;
COMMENT ON FUNCTION @extschema@.scratchpad_forget(bigint, text) IS
'delete the team''s scratchpad entry with this key; {"deleted": false} when there was none';
