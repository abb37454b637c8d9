-- Look-alike objects planted before CREATE EXTENSION, ahead of pg_catalog on
-- the search path, must never be called: not by the install script, not by
-- the domain functions, not by the router.
CREATE TABLE public.hijacked (what text);
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('now'); SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('lower'); SELECT $1 $$;
CREATE FUNCTION public.btrim(text, text) RETURNS text LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('btrim'); SELECT $1 $$;
CREATE FUNCTION public.length(text) RETURNS integer LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('length'); SELECT 0 $$;
CREATE FUNCTION public.coalesce_evil(bigint, bigint) RETURNS boolean LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('= bigint'); SELECT true $$;
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.coalesce_evil);
CREATE FUNCTION public.uuid_evil(uuid, uuid) RETURNS boolean LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('= uuid'); SELECT true $$;
CREATE OPERATOR public.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = public.uuid_evil);
CREATE FUNCTION public.text_evil(text, text) RETURNS boolean LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('= text'); SELECT true $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_evil);
CREATE FUNCTION public.uuid_v7() RETURNS uuid LANGUAGE sql
    AS $$ INSERT INTO public.hijacked VALUES ('uuid_v7'); SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;

SET search_path = public, pg_catalog;
CREATE EXTENSION signals CASCADE;

-- Exercise the API with the hostile search path still in force.
SELECT signals.create_team('Hostile', 900) AS team \gset
SELECT signals.create_user('hostile@example.com') AS uid \gset
SELECT signals.add_team_member(900, :'uid');
SELECT token FROM signals.create_personal_key(:'uid', '{*}') \gset
SELECT status, body::jsonb -> 'source_product' AS product
  FROM signals.http_handle('POST', '/api/projects/900/signals/source_configs/', '',
                           '{"content-type": "application/json"}',
                           '{"source_product": "github", "source_type": "issue"}', 'Bearer ' || :'token');
SELECT status, body::jsonb -> 'count' AS count
  FROM signals.http_handle('GET', '/api/projects/900/signals/source_configs/', '',
                           '{}', NULL::bytea, 'Bearer ' || :'token');
SELECT status FROM signals.http_handle('PUT', '/api/projects/900/signals/processing/pause/', '',
                           '{"content-type": "application/json"}',
                           '{"timestamp": "2030-01-01T00:00:00Z"}', 'Bearer ' || :'token');
SELECT signals.scratchpad_upsert(900, 'k', 'v')::jsonb -> 'key' AS key;
SELECT json_array_length(signals.scratchpad_list(900, 'v')) AS entries;
SELECT signals.processing_unpause(900)::jsonb -> 'was_paused' AS was_paused;

-- None of the look-alikes ran.
SELECT count(*) AS hijacked_calls FROM public.hijacked;

-- Clean up the planted objects and this test's team.
RESET search_path;
DELETE FROM signals.teams WHERE team_id = 900;
DELETE FROM signals.users WHERE email = 'hostile@example.com';
DROP OPERATOR public.= (bigint, bigint);
DROP OPERATOR public.= (uuid, uuid);
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.now(), public.lower(text), public.btrim(text, text), public.length(text),
    public.coalesce_evil(bigint, bigint), public.uuid_evil(uuid, uuid),
    public.text_evil(text, text), public.uuid_v7();
DROP TABLE public.hijacked;
