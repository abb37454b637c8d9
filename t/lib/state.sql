-- The state of a loaded database (t/lib/load.sql), one line per item, for
-- comparing two databases that must hold the same data: the API's answers
-- (status and body) to reads with every fixture key, the row count and a
-- checksum of every table of the extension (and of fixture.tokens), and the
-- team id sequence.  psql -At output; compare with diff.  The answers come
-- first: they record the keys' use (last_used_at, once an hour), which the
-- checksums then include, so that a second run gives the same output.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- The API's answers to reads, for every key and team (one query, no
-- temporary table: it runs on hot standbys too).  Since 0.2.0 the key is an
-- argument of its own (0.1.0 took it in the headers object).
SELECT EXISTS (SELECT FROM pg_catalog.pg_proc
                WHERE proname = 'http_handle' AND pronargs = 6
                  AND pronamespace = 'signals'::regnamespace) AS key_argument \gset
\if :key_argument
\set api_call 'signals.http_handle(''GET'', r.path, r.query, ''{}''::jsonb, NULL::bytea, ''Bearer '' || k.token)'
\else
\set api_call 'signals.http_handle(''GET'', r.path, r.query, jsonb_build_object(''authorization'', ''Bearer '' || k.token), NULL::bytea)'
\endif
WITH teams AS (SELECT team_id FROM signals.teams),
ids AS (
    SELECT team_id, 'source_configs/' || id || '/' AS path FROM signals.source_configs
    UNION ALL
    SELECT team_id, 'scout/runs/' || id || '/' FROM signals.scout_runs
    UNION ALL
    SELECT r.team_id, 'reports/' || r.id || '/' || sub
      FROM (SELECT team_id, id, row_number() OVER (PARTITION BY team_id, status ORDER BY id) AS n
              FROM signals.reports) r,
           unnest('{"",signals/,artefacts/}'::text[]) sub
     WHERE r.n <= 2),
request_paths AS (
    SELECT t.team_id, '/api/projects/' || t.team_id || '/signals/' || p.path AS path, p.query
      FROM teams t,
           (VALUES ('processing/', ''), ('source_configs/', ''), ('reports/', ''),
                   ('reports/', 'status=ready,pending_input&ordering=-priority'),
                   ('reports/', 'search=TypeError&limit=5'), ('reports/', 'limit=7&offset=3'),
                   ('scout/runs/', ''), ('scout/scratchpad/', ''), ('scout/scratchpad/', 'text=note-2&limit=2'),
                   ('scout/project_profile/current/', '')) p(path, query)
    UNION ALL
    SELECT team_id, '/api/projects/' || team_id || '/signals/' || path, '' FROM ids)
SELECT 'answer ' || k.name || ' ' || r.path || coalesce('?' || nullif(r.query, ''), '') || ' ' ||
       h.status || ' ' || coalesce(h.body, '<no body>')
  FROM fixture.tokens k
 CROSS JOIN request_paths r
 CROSS JOIN LATERAL :api_call h
 WHERE k.team_id IS NULL OR k.team_id = r.team_id
 ORDER BY k.name COLLATE "C", r.path COLLATE "C", r.query COLLATE "C";

-- Every table: "table <name> <rows> <md5 of its rows in text order>".  When
-- fixture.state_columns lists columns (the upgrade test: those of the old
-- version), only the tables and columns it lists.
SELECT to_regclass('fixture.state_columns') IS NOT NULL AS listed_columns \gset
\if :listed_columns
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text COLLATE "C"), '''')) FROM (SELECT %s FROM %s) x',
              'table ' || c.oid::regclass::text,
              (SELECT string_agg(quote_ident(l.col), ', ' ORDER BY l.col) FROM fixture.state_columns l
                WHERE l.tbl = c.oid::regclass::text),
              c.oid::regclass)
  FROM pg_class c
 WHERE c.relnamespace = 'signals'::regnamespace AND c.relkind = 'r'
   AND EXISTS (SELECT FROM fixture.state_columns l WHERE l.tbl = c.oid::regclass::text)
 ORDER BY c.oid::regclass::text COLLATE "C" \gexec
\else
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text COLLATE "C"), '''')) FROM %s x',
              'table ' || c.oid::regclass::text, c.oid::regclass)
  FROM pg_class c
 WHERE c.relnamespace IN ('signals'::regnamespace, 'fixture'::regnamespace)
   AND c.relkind = 'r'
 ORDER BY c.oid::regclass::text COLLATE "C" \gexec
\endif
SELECT 'sequence signals.team_id_seq ' || last_value || ' ' || is_called FROM signals.team_id_seq;
