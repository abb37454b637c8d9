-- Schema signals_api: the SQL API for database roles and for generic API
-- layers (PostgREST, PostGraphile).  It holds one function per domain
-- operation and nothing else: no table, view, type or sequence, so a tool
-- that publishes a whole schema publishes only these calls.
--
-- signals_api.f(...) has the arguments and result of signals.f(...).  Each
-- is the C function signals_api_call (src/api_gate.c): it checks that the
-- calling role is a member of a role granted the call's team_id
-- (signals.grant_team; superusers reach every team), as the router checks an
-- API key, then runs signals.f as the extension owner.  A granted role holds
-- no table privilege beyond SELECT, so these calls are the only way it
-- writes.  Administrative functions (teams, users, keys, grants, providers,
-- draining queues) are not here: they stay in schema signals, for DBAs.

CREATE SCHEMA signals_api;
COMMENT ON SCHEMA signals_api IS
'the signals API as SQL functions (one per operation, each checked against the caller''s granted teams); nothing else, for roles granted a team and for PostgREST or PostGraphile';
GRANT USAGE ON SCHEMA signals_api TO PUBLIC;

DO $$
DECLARE
    api_functions name[] := '{processing_list,processing_pause,processing_unpause,
        source_configs_list,source_config_get,source_config_create,source_config_update,source_config_delete,
        scratchpad_list,scratchpad_upsert,scratchpad_forget,
        set_scout_config,create_scout_run,start_scout_run,finish_scout_run,scout_runs_list,scout_run_get,
        emit_signal,scout_emit,
        reports_list,report_get,report_set_state,report_delete,report_artefacts_list,report_signals,
        report_merge,report_split,
        add_artefact,claim_candidate,finish_research,
        project_profile_current}';
    f record;
    made integer := 0;
BEGIN
    FOR f IN
        SELECT p.oid, p.proname, p.provolatile, p.proisstrict, p.proretset, p.proargnames,
               pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
               pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity,
               pg_catalog.pg_get_function_result(p.oid) AS result,
               pg_catalog.obj_description(p.oid, 'pg_proc') AS description
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND p.proname OPERATOR(pg_catalog.=) ANY (api_functions)
         ORDER BY p.proname
    LOOP
        IF f.proretset OR NOT 'team_id'::text OPERATOR(pg_catalog.=) ANY (f.proargnames) THEN
            RAISE EXCEPTION 'signals.% cannot be in signals_api: it must return one value and take team_id', f.proname;
        END IF;
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION signals_api.%I(%s) RETURNS %s AS %L, %L LANGUAGE C %s %s',
            f.proname, f.arguments, f.result, 'MODULE_PATHNAME', 'signals_api_call',
            CASE f.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
            CASE WHEN f.proisstrict THEN 'STRICT' ELSE 'CALLED ON NULL INPUT' END);
        EXECUTE pg_catalog.format(
            'COMMENT ON FUNCTION signals_api.%I(%s) IS %L',
            f.proname, f.identity,
            coalesce(f.description, f.proname::text) OPERATOR(pg_catalog.||)
            ' (checked against the calling role''s granted teams, then run as the extension owner)');
        made := made OPERATOR(pg_catalog.+) 1;
    END LOOP;
    IF made OPERATOR(pg_catalog.<>) pg_catalog.cardinality(api_functions) THEN
        RAISE EXCEPTION 'signals_api: % functions listed, % made', pg_catalog.cardinality(api_functions), made;
    END IF;
END
$$;
