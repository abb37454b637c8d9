-- A project profile provider runs with its owner's rights, never with the
-- builder's (the extension owner's, inside http_handle).  The attack: a role
-- owns a registered provider, replaces its body, and one scout request with
-- force_refresh=true runs it as the extension owner.
\set SHOW_CONTEXT never

CREATE ROLE regress_provider_owner;
CREATE ROLE regress_other_owner;
CREATE SCHEMA regress_host AUTHORIZATION regress_provider_owner;
SET ROLE regress_provider_owner;
CREATE FUNCTION regress_host.products(team_id bigint) RETURNS json LANGUAGE sql
    AS $$ SELECT '["analytics"]'::json $$;
RESET ROLE;
SELECT signals.register_profile_provider('products_in_use', 'regress_host.products(bigint)');
SELECT provider_schema, provider_name, owner_name,
       provider_oid = 'regress_host.products(bigint)'::regprocedure AS pinned_oid,
       owner_oid = 'regress_provider_owner'::regrole AS pinned_owner
  FROM signals.profile_providers WHERE section = 'products_in_use';

-- The owner replaces the body: it now tries to make its owner superuser.
SET ROLE regress_provider_owner;
CREATE OR REPLACE FUNCTION regress_host.products(team_id bigint) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    ALTER ROLE regress_provider_owner SUPERUSER;
    RETURN '["escalated"]'::json;
END
$$;
RESET ROLE;
SELECT status, body::json #> '{payload,inventory,products_in_use}' AS products,
       body::json #> '{payload,warnings}' AS warnings
  FROM public.api('GET', '/api/projects/1/signals/scout/project_profile/current/', 'scout1',
                  NULL, 'force_refresh=true');
SELECT rolsuper AS became_superuser FROM pg_roles WHERE rolname = 'regress_provider_owner';

-- It runs as its owner, in a restricted context: no SET ROLE, no temporary
-- table, and its setting changes do not outlive the call.
SET ROLE regress_provider_owner;
CREATE OR REPLACE FUNCTION regress_host.products(team_id bigint) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    tried text[] := ARRAY[current_user::text];
BEGIN
    PERFORM set_config('work_mem', '77kB', false);
    BEGIN
        SET ROLE postgres;
    EXCEPTION WHEN OTHERS THEN
        tried := tried || SQLERRM;
    END;
    BEGIN
        CREATE TEMP TABLE regress_leftover (x int);
    EXCEPTION WHEN OTHERS THEN
        tried := tried || SQLERRM;
    END;
    BEGIN
        PERFORM count(*) FROM signals.api_keys;
    EXCEPTION WHEN OTHERS THEN
        tried := tried || SQLERRM;
    END;
    RETURN to_json(tried);
END
$$;
RESET ROLE;
SET work_mem = '4MB';
SELECT json_array_elements_text(body::json #> '{payload,inventory,products_in_use}') AS seen_by_provider
  FROM public.api('GET', '/api/projects/1/signals/scout/project_profile/current/', 'scout1',
                  NULL, 'force_refresh=true');
SHOW work_mem;
RESET work_mem;

-- Given to another owner: refused with a warning until registered again.
ALTER FUNCTION regress_host.products(bigint) OWNER TO regress_other_owner;
SELECT body::json #> '{payload,inventory,products_in_use}' AS products,
       body::json #> '{payload,warnings}' AS warnings
  FROM public.api('GET', '/api/projects/1/signals/scout/project_profile/current/', 'scout1',
                  NULL, 'force_refresh=true');
ALTER FUNCTION regress_host.products(bigint) OWNER TO regress_provider_owner;

-- Dropped and re-created (here by another role): another OID, refused.
DROP FUNCTION regress_host.products(bigint);
CREATE FUNCTION regress_host.products(team_id bigint) RETURNS json LANGUAGE sql
    AS $$ SELECT '["impostor"]'::json $$;
SELECT body::json #> '{payload,inventory,products_in_use}' AS products,
       body::json #> '{payload,warnings}' AS warnings
  FROM public.api('GET', '/api/projects/1/signals/scout/project_profile/current/', 'scout1',
                  NULL, 'force_refresh=true');

-- Only a role that can act as a function's owner may register it.
CREATE ROLE regress_registrar;
GRANT USAGE ON SCHEMA signals, regress_host TO regress_registrar;
GRANT SELECT, INSERT, UPDATE ON signals.profile_providers TO regress_registrar;
GRANT EXECUTE ON FUNCTION signals.register_profile_provider(text, regprocedure) TO regress_registrar;
SET ROLE regress_registrar;
SELECT signals.register_profile_provider('products_in_use', 'regress_host.products(bigint)');
RESET ROLE;

-- The function named by a registration that a restored dump brought in is
-- another function (another OID): refused.
SELECT signals.register_profile_provider('products_in_use', 'regress_host.products(bigint)');
UPDATE signals.profile_providers SET provider_oid = 'signals.profile_ttl()'::regprocedure
 WHERE section = 'products_in_use';
SELECT body::json #> '{payload,warnings}' AS warnings
  FROM public.api('GET', '/api/projects/1/signals/scout/project_profile/current/', 'scout1',
                  NULL, 'force_refresh=true');

-- The provider call and the build lock are the builder's alone.
SET ROLE regress_registrar;
SELECT signals.profile_call_provider('regress_host.products(bigint)'::regprocedure,
                                     'postgres'::regrole, 1);
SELECT signals.profile_build_lock(1);
RESET ROLE;

SELECT signals.unregister_profile_provider('products_in_use');
DELETE FROM signals.project_profiles WHERE team_id = 1;
REVOKE ALL ON SCHEMA signals, regress_host FROM regress_registrar;
REVOKE ALL ON signals.profile_providers FROM regress_registrar;
REVOKE ALL ON FUNCTION signals.register_profile_provider(text, regprocedure) FROM regress_registrar;
DROP SCHEMA regress_host CASCADE;
DROP ROLE regress_provider_owner, regress_other_owner, regress_registrar;
