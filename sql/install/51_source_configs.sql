-- source_configs/: which signal sources a team has set up, and whether they are on.

-- A source config in API responses: the type names the JSON keys, in order.
CREATE TYPE @extschema@.api_source_config AS (
    id uuid, source_product text, source_type text, enabled boolean, config jsonb,
    created_at text, updated_at text, status text);
COMMENT ON TYPE @extschema@.api_source_config IS
'the JSON shape of a source config in API responses';

-- A source config as the API shows it.  The row-to-JSON helpers have no SET
-- search_path and no FROM clause, so that the planner inlines them: their
-- bodies are fully qualified and use no operators.
CREATE FUNCTION @extschema@.source_config_json(c @extschema@.source_configs)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(c.id, c.source_product, c.source_type, c.enabled, c.config,
                                      @extschema@.iso_time(c.created_at),
                                      @extschema@.iso_time(c.updated_at),
                                      c.status)::@extschema@.api_source_config)
$$;
COMMENT ON FUNCTION @extschema@.source_config_json(@extschema@.source_configs) IS
'a source config row as the API shows it';

-- Check that a product and a type are known (rows of source_products and source_types).
CREATE FUNCTION @extschema@.check_source(source_product text, source_type text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF source_product IS NULL THEN
        RAISE EXCEPTION 'source_product is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'source_product';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.source_products p
                    WHERE p.source_product OPERATOR(pg_catalog.=) check_source.source_product) THEN
        RAISE EXCEPTION '"%" is not a valid source_product', pg_catalog.left(source_product, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_product',
                  HINT = 'Known products are the rows of signals.source_products.';
    END IF;
    IF source_type IS NULL THEN
        RAISE EXCEPTION 'source_type is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'source_type';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.source_types t
                    WHERE t.source_type OPERATOR(pg_catalog.=) check_source.source_type) THEN
        RAISE EXCEPTION '"%" is not a valid source_type', pg_catalog.left(source_type, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_type',
                  HINT = 'Known types are the rows of signals.source_types.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_source(text, text) IS
'raise the API''s validation error unless the product and type are known';

-- Check that a config is a JSON object.
CREATE FUNCTION @extschema@.check_config(config jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.jsonb_typeof(config) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'config must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'config';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_config(jsonb) IS
'raise the API''s validation error unless config is a JSON object';

-- GET source_configs/: the team's source configs, most recently updated first.
CREATE FUNCTION @extschema@.source_configs_list(
    team_id bigint,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT pg_catalog.count(*) INTO total
      FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_configs_list.team_id;
    SELECT coalesce(pg_catalog.json_agg(@extschema@.source_config_json(c)
                                        ORDER BY c.updated_at DESC, c.id DESC), '[]')
      INTO results
      FROM (SELECT *
              FROM @extschema@.source_configs c
             WHERE c.team_id OPERATOR(pg_catalog.=) source_configs_list.team_id
             ORDER BY c.updated_at DESC, c.id DESC
             LIMIT coalesce(page_limit, 100) OFFSET coalesce(page_offset, 0)) c;
END
$$;
COMMENT ON FUNCTION @extschema@.source_configs_list(bigint, integer, integer) IS
'a page of the team''s source configs, most recently updated first';

-- GET source_configs/:id/
CREATE FUNCTION @extschema@.source_config_get(team_id bigint, id uuid)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.source_config_json(ROW(c.*)::@extschema@.source_configs) INTO result  -- ROW(): see 98_citus.sql
      FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_config_get.team_id
       AND c.id OPERATOR(pg_catalog.=) source_config_get.id;
    IF result IS NULL THEN
        RAISE EXCEPTION 'source config not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.source_config_get(bigint, uuid) IS
'one source config of the team';

-- POST source_configs/
CREATE FUNCTION @extschema@.source_config_create(
    team_id bigint,
    source_product text,
    source_type text,
    enabled boolean DEFAULT true,
    config jsonb DEFAULT '{}')
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    created @extschema@.source_configs;
BEGIN
    PERFORM @extschema@.check_source(source_product, source_type);
    PERFORM @extschema@.check_config(coalesce(config, '{}'));
    -- ON CONFLICT waits for a concurrent insert of the same source to commit,
    -- so of two racing creates exactly one wins and the other gets the 400.
    INSERT INTO @extschema@.source_configs AS c (team_id, source_product, source_type, enabled, config)
    VALUES (source_config_create.team_id, source_config_create.source_product,
            source_config_create.source_type, coalesce(source_config_create.enabled, true),
            coalesce(source_config_create.config, '{}'))
    ON CONFLICT ON CONSTRAINT source_configs_source_key DO NOTHING
    RETURNING * INTO created;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a configuration for this source product and type already exists for this team'
            USING ERRCODE = 'unique_violation', COLUMN = 'source_product';
    END IF;
    RETURN @extschema@.source_config_json(created);
END
$$;
COMMENT ON FUNCTION @extschema@.source_config_create(bigint, text, text, boolean, jsonb) IS
'configure a signal source for the team; one config per (source_product, source_type)';

-- PATCH source_configs/:id/: NULL arguments leave a field as it is.
CREATE FUNCTION @extschema@.source_config_update(
    team_id bigint,
    id uuid,
    source_product text DEFAULT NULL,
    source_type text DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    config jsonb DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current @extschema@.source_configs;
BEGIN
    SELECT * INTO current
      FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_config_update.team_id
       AND c.id OPERATOR(pg_catalog.=) source_config_update.id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source config not found' USING ERRCODE = 'no_data_found';
    END IF;
    IF source_product IS NOT NULL AND source_product OPERATOR(pg_catalog.<>) current.source_product THEN
        RAISE EXCEPTION 'source_product cannot be changed after creation'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_product',
                  HINT = 'Delete this config and create one for the other source.';
    END IF;
    IF source_type IS NOT NULL AND source_type OPERATOR(pg_catalog.<>) current.source_type THEN
        RAISE EXCEPTION 'source_type cannot be changed after creation'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_type',
                  HINT = 'Delete this config and create one for the other source.';
    END IF;
    IF config IS NOT NULL THEN
        PERFORM @extschema@.check_config(config);
    END IF;
    UPDATE @extschema@.source_configs c
       SET enabled = coalesce(source_config_update.enabled, c.enabled),
           config = coalesce(source_config_update.config, c.config),
           updated_at = pg_catalog.now()
     WHERE c.team_id OPERATOR(pg_catalog.=) current.team_id
       AND c.id OPERATOR(pg_catalog.=) current.id
    RETURNING * INTO current;
    RETURN @extschema@.source_config_json(current);
END
$$;
COMMENT ON FUNCTION @extschema@.source_config_update(bigint, uuid, text, text, boolean, jsonb) IS
'change a source config''s enabled flag or config; its product and type are fixed at creation';

-- DELETE source_configs/:id/
CREATE FUNCTION @extschema@.source_config_delete(team_id bigint, id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_config_delete.team_id
       AND c.id OPERATOR(pg_catalog.=) source_config_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source config not found' USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.source_config_delete(bigint, uuid) IS
'remove a source config; emits from that source are accepted again as for an unconfigured source';
