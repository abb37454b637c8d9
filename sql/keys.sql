-- API keys: creation rules, scopes, team limits, revocation, and how the
-- router answers each kind of authentication failure.
\set SHOW_CONTEXT never

-- Personal keys never hold internal scopes; scopes must be known.
SELECT signals.create_personal_key((SELECT user_id FROM test_users WHERE name = 'alice'),
                                   '{task:read,signal_scout_internal:write}');
SELECT signals.create_personal_key((SELECT user_id FROM test_users WHERE name = 'alice'), '{task:admin}');
SELECT signals.create_personal_key((SELECT user_id FROM test_users WHERE name = 'alice'), '{}');
SELECT signals.create_personal_key((SELECT user_id FROM test_users WHERE name = 'alice'), NULL);
-- A team limit must name teams the user belongs to.
SELECT signals.create_personal_key((SELECT user_id FROM test_users WHERE name = 'bob'), '{*}', '{1}');
SELECT signals.create_personal_key((SELECT user_id FROM test_users WHERE name = 'bob'), '{*}', '{}');
SELECT signals.create_personal_key('00000000-0000-0000-0000-000000000000', '{*}');
SELECT signals.create_scout_token(404);
-- Scopes are stored sorted and deduplicated.
SELECT personal_key('carol_tasks', 'carol', '{task:write,task:read,task:write}');
SELECT scopes FROM signals.api_key_list
 WHERE key_id = (SELECT key_id FROM test_keys WHERE name = 'carol_tasks');

-- Only a hash of the token is stored, and the list view shows a mask.
SELECT count(*) AS stored_hashes
  FROM signals.api_keys k JOIN test_keys t USING (key_id)
 WHERE k.token_hash = sha256(convert_to(t.token, 'UTF8'));
SELECT count(*) AS tokens_in_clear
  FROM signals.api_keys k, test_keys t
 WHERE k::text LIKE '%' || t.token || '%';
SELECT mask ~ '^ph[xs]_.{4}\.\.\..{4}$' AS masked FROM signals.api_key_list
 WHERE key_id = (SELECT key_id FROM test_keys WHERE name = 'alice_all');

-- No credentials, other schemes, unknown tokens.
SELECT status, body FROM signals.http_handle('GET', '/api/projects/1/signals/processing/', '', '{}');
SELECT status, body FROM signals.http_handle('GET', '/api/projects/1/signals/processing/', '',
                                             '{}', NULL::bytea, 'Basic YWxpY2U6c2VjcmV0');
SELECT status, body FROM signals.http_handle('GET', '/api/projects/1/signals/processing/', '',
                                             '{}', NULL::bytea, 'Bearer ');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'phx_not_a_real_key');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', repeat('x', 10000));
-- The scheme is case-insensitive and surrounding blanks are ignored.
SELECT status FROM signals.http_handle('GET', '/api/projects/1/signals/processing/', '',
    '{}', NULL::bytea, '  bearer   ' || (SELECT token FROM test_keys WHERE name = 'alice_all') || ' ');

-- The Authorization header is an argument of its own, of type
-- signals.secret, which never shows: not as text, not as JSON, not in binary
-- output, and there is no cast back to text.  In the headers object (a plain
-- parameter that log_statement prints) it is refused.
SELECT status, body FROM signals.http_handle('GET', '/api/projects/1/signals/processing/', '',
    jsonb_build_object('Authorization', 'Bearer ' || (SELECT token FROM test_keys WHERE name = 'alice_all')));
SELECT 'Bearer phx_shown'::signals.secret AS literal,
       ('phx_shown'::text::signals.secret)::text AS as_text,
       to_json('phx_shown'::signals.secret) AS as_json,
       signals.secret_send('phx_shown') = convert_to('(redacted)', 'UTF8') AS send_redacted;
SELECT format('%s', 'phx_shown'::signals.secret) AS formatted;
SELECT pg_typeof('x'::text::signals.secret) AS implicit_from_text;
SELECT castsource::regtype, casttarget::regtype FROM pg_cast
 WHERE castsource = 'signals.secret'::regtype OR casttarget = 'signals.secret'::regtype
 ORDER BY 1::text, 2::text;

-- Scopes: :write implies :read, * grants all but internal scopes.
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'alice_read');
SELECT * FROM api('DELETE', '/api/projects/1/signals/processing/pause/', 'alice_read');
SELECT status FROM api('GET', '/api/projects/1/signals/processing/', 'alice_write');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'alice_write');
SELECT status FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'alice_scout_read');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'alice_all', '{"key": "k", "content": "c"}');
SELECT status FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "k", "content": "c"}');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'scout1');

-- Teams: membership, team-limited keys, scout tokens bound to their team.
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'bob_all');
SELECT status FROM api('GET', '/api/projects/2/signals/processing/', 'bob_all');
SELECT status FROM api('GET', '/api/projects/1/signals/processing/', 'alice_team1');
SELECT * FROM api('GET', '/api/projects/2/signals/processing/', 'alice_team1');
SELECT * FROM api('GET', '/api/projects/2/signals/scout/scratchpad/', 'scout1');
SELECT * FROM api('GET', '/api/projects/999/signals/processing/', 'alice_all');

-- @current is the key's only team.
SELECT status FROM api('GET', '/api/projects/@current/signals/processing/', 'carol_all');
SELECT status FROM api('GET', '/api/projects/@current/signals/processing/', 'alice_team1');
SELECT body::jsonb -> 0 -> 'key' AS key
  FROM api('GET', '/api/projects/@current/signals/scout/scratchpad/', 'scout1');
SELECT * FROM api('GET', '/api/projects/@current/signals/processing/', 'alice_all');

-- Use is recorded, at most hourly.
SELECT last_used_at IS NOT NULL AS used FROM signals.api_key_list
 WHERE key_id = (SELECT key_id FROM test_keys WHERE name = 'carol_all');
SELECT last_used_at IS NULL AS unused FROM signals.api_key_list
 WHERE key_id = (SELECT key_id FROM test_keys WHERE name = 'scout2');

-- A revoked key is 401 at once; revoking twice reports false.
SELECT personal_key('doomed', 'carol', '{*}');
SELECT status FROM api('GET', '/api/projects/1/signals/processing/', 'doomed');
SELECT signals.revoke_key((SELECT key_id FROM test_keys WHERE name = 'doomed')) AS revoked;
SELECT signals.revoke_key((SELECT key_id FROM test_keys WHERE name = 'doomed')) AS revoked_again;
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'doomed');
