-- Fixtures shared by the regression tests: two teams, three users, keys of
-- every kind (tokens kept in public.test_keys by name), and helpers to call
-- the API.  The extension itself was created by the hostile test.
SELECT signals.create_team('Acme', 1);
SELECT signals.create_team('Globex', 2);
SELECT signals.set_team_settings(1, ai_processing_approved => true,
                                 product_description => 'Acme makes anvils',
                                 app_urls => '{https://acme.test}');

CREATE TABLE public.test_users (name text PRIMARY KEY, user_id uuid);
INSERT INTO public.test_users
SELECT name, signals.create_user(name || '@example.com')
  FROM unnest('{alice,bob,carol}'::text[]) name;
SELECT signals.add_team_member(t, (SELECT user_id FROM public.test_users WHERE name = 'alice'))
  FROM unnest('{1,2}'::bigint[]) t;
SELECT signals.add_team_member(2, (SELECT user_id FROM public.test_users WHERE name = 'bob'));
SELECT signals.add_team_member(1, (SELECT user_id FROM public.test_users WHERE name = 'carol'));

CREATE TABLE public.test_keys (name text PRIMARY KEY, key_id uuid, token text);
CREATE FUNCTION public.personal_key(key_name text, user_name text, scopes text[], teams bigint[] DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO public.test_keys
    SELECT key_name, k.key_id, k.token
      FROM signals.create_personal_key((SELECT user_id FROM public.test_users WHERE name = user_name),
                                       scopes, teams) k
$$;
SELECT personal_key('alice_all', 'alice', '{*}');
SELECT personal_key('alice_read', 'alice', '{task:read,signal_scout:read}');
SELECT personal_key('alice_write', 'alice', '{task:write}');
SELECT personal_key('alice_team1', 'alice', '{*}', '{1}');
SELECT personal_key('alice_scout_read', 'alice', '{signal_scout:read}');
SELECT personal_key('bob_all', 'bob', '{*}');
SELECT personal_key('carol_all', 'carol', '{*}');
INSERT INTO public.test_keys SELECT 'scout1', key_id, token FROM signals.create_scout_token(1);
INSERT INTO public.test_keys SELECT 'scout2', key_id, token FROM signals.create_scout_token(2);
SELECT count(*) AS keys, count(DISTINCT token) AS distinct_tokens,
       bool_and(token ~ '^ph[xs]_[0-9A-Za-z]{43}$') AS well_formed
  FROM public.test_keys;

-- Volatile parts of a body (ids and timestamps) as placeholders.
CREATE FUNCTION public.masked(body text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(regexp_replace(body,
               '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
               '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z', '<ts>', 'g')
$$;

-- Call the API with a named key (or, for names not in test_keys, that text
-- as the token); the body comes back with ids and timestamps masked.
CREATE FUNCTION public.api(method text, path text, key_name text,
                           body text DEFAULT NULL, query text DEFAULT '')
RETURNS TABLE (status integer, body text) LANGUAGE sql AS $$
    SELECT r.status, public.masked(r.body)
      FROM signals.http_handle(method, path, query,
               '{"content-type": "application/json", "host": "api.test"}', body,
               'Bearer ' || coalesce((SELECT token FROM public.test_keys WHERE name = key_name), key_name)) r
$$;

-- The same, returning the body unmasked as jsonb for assertions on values.
CREATE FUNCTION public.api_json(method text, path text, key_name text,
                                body text DEFAULT NULL, query text DEFAULT '')
RETURNS jsonb LANGUAGE sql AS $$
    SELECT r.body::jsonb
      FROM signals.http_handle(method, path, query,
               '{"content-type": "application/json", "host": "api.test"}', body,
               'Bearer ' || coalesce((SELECT token FROM public.test_keys WHERE name = key_name), key_name)) r
$$;
