-- What grouping stores per team, and what one signal writes, at a given size.
-- psql -v stored=N -v team=T -f storage.sql   (needs bench_corpus, see bench.sh)
-- Grows team :team to :stored grouped signals of corpus texts (with the same
-- pseudo-word variation as bench.sql), then prints the bytes of the team's
-- frequency model (the sketch: grouping_state and grouping_df rows), of its
-- per-signal grouping rows (features, candidate index, dedupe keys), and how
-- many sketch pages and bytes one more signal rewrote.
\set ON_ERROR_STOP on
SELECT signals.create_team('storage', :team) WHERE NOT EXISTS (SELECT FROM signals.teams WHERE team_id = :team);
SELECT signals.processing_pause(:team, now() + interval '1 day') IS NOT NULL AS paused;
CREATE OR REPLACE FUNCTION pg_temp.pseudo_word(n integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(to_hex(n + 4096), '0123456789abcdef', 'bcdfghjklmnpqrst')
$$;
CREATE OR REPLACE PROCEDURE pg_temp.queue(team bigint, n integer) LANGUAGE sql AS $$
    INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight)
    SELECT team, c.product, c.type, 'storage-' || pg_catalog.gen_random_uuid(),
           c.text || ' ' || pg_temp.pseudo_word((random() * 50000)::int), 0.3
      FROM (SELECT 1 + (g * 7919) % (SELECT count(*) FROM bench_corpus) AS k
              FROM generate_series(1, n) g) x
      JOIN bench_corpus c ON c.i = x.k;
$$;
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
        WHILE signals.group_pending(team, 5000) > 0 LOOP
            COMMIT;
        END LOOP;
        COMMIT;
    END LOOP;
END $$;
CREATE TEMP TABLE pages_before AS
SELECT page, md5(counts) AS digest FROM signals.grouping_df WHERE team_id = :team;
CALL pg_temp.queue(:team, 1);
SELECT signals.group_pending(:team, 1) AS one_more;
SELECT :stored AS signals,
       (SELECT pg_column_size(g.*) FROM signals.grouping_state g WHERE g.team_id = :team)
     + (SELECT coalesce(sum(pg_column_size(d.*)), 0) FROM signals.grouping_df d WHERE d.team_id = :team)
         AS frequency_model_bytes,
       (SELECT width FROM signals.grouping_state WHERE team_id = :team) AS sketch_width,
       (SELECT coalesce(sum(pg_column_size(m.*)), 0) FROM signals.grouping_members m WHERE m.team_id = :team)
     + (SELECT coalesce(sum(pg_column_size(p.*)), 0) FROM signals.grouping_postings p WHERE p.team_id = :team)
     + (SELECT coalesce(sum(pg_column_size(k.*)), 0) FROM signals.grouping_dedupe k WHERE k.team_id = :team)
         AS per_signal_rows_bytes,
       (SELECT count(*) FROM signals.grouping_df d LEFT JOIN pages_before b USING (page)
         WHERE d.team_id = :team AND b.digest IS DISTINCT FROM md5(d.counts)) AS pages_one_signal_rewrote,
       (SELECT coalesce(sum(pg_column_size(d.*)), 0) FROM signals.grouping_df d LEFT JOIN pages_before b USING (page)
         WHERE d.team_id = :team AND b.digest IS DISTINCT FROM md5(d.counts)) AS bytes_one_signal_rewrote;
