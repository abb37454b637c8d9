-- Dropping the extension removes everything it created.  The schema named by
-- the control file outlives the extension, as for every extension; it is empty.
DROP EXTENSION signals;
SELECT count(*) AS leftover_objects
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'signals';
SELECT count(*) AS leftover_functions
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'signals';
-- Schema signals_api was created by the install script, so it goes with it.
SELECT count(*) AS api_schema_left FROM pg_namespace WHERE nspname = 'signals_api';
DROP SCHEMA signals;
DROP TABLE public.test_keys, public.test_users;
DROP FUNCTION public.personal_key, public.masked, public.api, public.api_json;
DROP OWNED BY regress_team1, regress_team2, regress_nobody;
DROP ROLE regress_team1, regress_team2, regress_nobody;
DROP EXTENSION btree_gin, pg_trgm;
