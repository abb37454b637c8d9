-- Grouping throughput with a given number of signals already stored.
-- psql -v stored=N -v measure=M -v team=T -f bench.sql
-- Grows team :team to :stored grouped signals (through group_pending, so the
-- grouping index holds them), then queues :measure more and times how fast
-- group_pending(team, 5000) drains them.  Signal texts are corpus texts
-- (bench_corpus) with three pseudo-words from a 50,000-word vocabulary
-- appended (70%: issues repeat with variation), or ten pseudo-words (30%:
-- novel issues, each a new report), so vocabularies and reports keep growing.
\set ON_ERROR_STOP on
SELECT signals.create_team('bench', :team) WHERE NOT EXISTS (SELECT FROM signals.teams WHERE team_id = :team);
-- keep the background worker off the team: only the loops below group it
-- (a worker holding the team makes group_pending return 0 and end a loop)
SELECT signals.processing_pause(:team, now() + interval '1 day') IS NOT NULL AS paused;

CREATE OR REPLACE FUNCTION pg_temp.pseudo_word(n integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(to_hex(n + 4096), '0123456789abcdef', 'bcdfghjklmnpqrst')
$$;
CREATE OR REPLACE PROCEDURE pg_temp.queue(team bigint, n integer) LANGUAGE sql AS $$
    INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys)
    SELECT team, c.product, c.type, 'bench-' || pg_catalog.gen_random_uuid(),
           CASE WHEN x.novel
                THEN (SELECT string_agg(pg_temp.pseudo_word((random() * 50000 + g * 0 + w * 0)::int), ' ')
                        FROM generate_series(1, 10) w)
                ELSE c.text || ' ' || pg_temp.pseudo_word((random() * 50000)::int) || ' '
                     || pg_temp.pseudo_word((random() * 50000)::int) || ' '
                     || pg_temp.pseudo_word((random() * 50000)::int) END,
           0.3, CASE WHEN random() < 0.1 THEN ARRAY['key-' || (random() * 20000)::int] ELSE '{}' END
      FROM (SELECT g, 1 + (g * 7919 + (random() * 1000)::int) % (SELECT count(*) FROM bench_corpus) AS k,
                   random() < 0.3 AS novel
              FROM generate_series(1, n) g) x
      JOIN bench_corpus c ON c.i = x.k;
$$;

-- grow to :stored
SELECT set_config('bench.stored', :'stored', false), set_config('bench.team', :'team', false) \gset
DO $$
DECLARE
    have bigint;
    want bigint := current_setting('bench.stored')::bigint;
    team bigint := current_setting('bench.team')::bigint;
BEGIN
    LOOP
        SELECT count(*) INTO have FROM signals.signals WHERE team_id = team;
        EXIT WHEN have >= want;
        CALL pg_temp.queue(team, least(50000, want - have)::int);
        COMMIT;
        WHILE signals.group_pending(team, 5000) > 0 LOOP
            COMMIT;
        END LOOP;
        COMMIT;
    END LOOP;
END $$;
VACUUM ANALYZE;

-- measure
CALL pg_temp.queue(:team, :measure);
CREATE TEMP TABLE bench_timing (started timestamptz, finished timestamptz, grouped bigint);
DO $$
DECLARE
    t0 timestamptz := clock_timestamp();
    n bigint := 0;
    k integer;
BEGIN
    LOOP
        k := signals.group_pending(current_setting('bench.team')::bigint, 5000);
        EXIT WHEN k = 0;
        n := n + k;
        COMMIT;
    END LOOP;
    INSERT INTO bench_timing VALUES (t0, clock_timestamp(), n);
END $$;
SELECT (SELECT count(*) FROM signals.signals WHERE team_id = :team) - grouped AS stored_before,
       grouped,
       round(extract(epoch FROM finished - started)::numeric, 2) AS seconds,
       round(grouped / extract(epoch FROM finished - started)) AS signals_per_second,
       (SELECT count(*) FROM signals.reports WHERE team_id = :team) AS reports,
       (SELECT count(*) FROM signals.grouping_postings WHERE team_id = :team) AS postings
  FROM bench_timing;
