-- Grouping: how queued signals become reports (src/grouping*.c and friends).
-- Five tables hold the engine's state, all keyed by team first:
--   grouping_state, grouping_df   the team's document-frequency sketch (its
--                                 row is also the team's grouping lock);
--   grouping_members              each grouped signal's features;
--   grouping_postings             the candidate index: feature -> signals;
--   grouping_dedupe               dedupe key -> signals that carried it.
-- None of them names a report: a signal's report is read through
-- signals.report_id, so moving signals between reports (merge, split) is
-- all it takes for the engine to follow.  They are derived from the
-- signals, and grouping_rebuild(team) rebuilds them from the stored
-- signals (after an engine change in feature extraction, or a restore
-- without them); pg_dump still keeps them (pg_extension_config_dump) so
-- that a restore groups on at once.  Index rows have no foreign key (one
-- check per row would halve grouping throughput): rows of signals that are
-- gone are skipped when read and removed by grouping_prune().

CREATE TABLE @extschema@.grouping_state (
    team_id     bigint PRIMARY KEY REFERENCES @extschema@.teams ON DELETE CASCADE,
    n_docs      integer NOT NULL DEFAULT 0,
    total_docs  bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    width       integer NOT NULL DEFAULT 1024
);
COMMENT ON TABLE @extschema@.grouping_state IS
'per-team grouping state: how many signals the document-frequency sketch counts (halved on decay) and has ever counted, and its width; grouping holds the row while it works';

CREATE TABLE @extschema@.grouping_df (
    team_id  bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    page     integer NOT NULL,
    counts   bytea NOT NULL,
    PRIMARY KEY (team_id, page)
);
COMMENT ON TABLE @extschema@.grouping_df IS
'per-team document frequencies of signal features and lines: a count-min sketch (grouping_state.width counters a row) stored as pages of 512 little-endian 16-bit counters';

CREATE TABLE @extschema@.grouping_members (
    team_id     bigint NOT NULL,
    signal_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    features    bytea NOT NULL,
    PRIMARY KEY (team_id, signal_id),
    FOREIGN KEY (team_id, signal_id)
        REFERENCES @extschema@.signals (team_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.grouping_members IS
'a grouped signal''s features (hash, kind, prior class, title flag; 11 bytes each), which later signals are compared with';

CREATE TABLE @extschema@.grouping_postings (
    team_id    bigint NOT NULL,
    feature    bigint NOT NULL,
    signal_id  uuid NOT NULL,
    PRIMARY KEY (team_id, feature, signal_id)
);
COMMENT ON TABLE @extschema@.grouping_postings IS
'candidate index: for a feature hash, the grouped signals that carried it among their heaviest features (newest signal first by id)';

CREATE TABLE @extschema@.grouping_dedupe (
    team_id    bigint NOT NULL,
    key_hash   bigint NOT NULL,
    signal_id  uuid NOT NULL,
    seen_at    timestamptz NOT NULL,
    PRIMARY KEY (team_id, key_hash, signal_id)
);
COMMENT ON TABLE @extschema@.grouping_dedupe IS
'dedupe index: for a dedupe key hash, the grouped signals that carried it and when they arrived';


-- Group up to max_signals of the team's queued signals; returns how many.
CREATE FUNCTION @extschema@.group_pending(team_id bigint, max_signals integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'signals_group_pending_0_2_0'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.group_pending(bigint, integer) IS
'assign up to max_signals of the team''s queued signals, in arrival order, to reports (dedupe key, else text similarity, else a new potential report); returns how many were grouped, 0 at once when another session is grouping the team';
REVOKE ALL ON FUNCTION @extschema@.group_pending(bigint, integer) FROM PUBLIC;

-- The features grouping sees in a text, weighed with the team's frequencies.
CREATE FUNCTION @extschema@.grouping_features(description text, team_id bigint DEFAULT NULL)
RETURNS TABLE (feature text, kind text, df integer, weight real)
AS 'MODULE_PATHNAME', 'signals_grouping_features_0_2_0'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.grouping_features(text, bigint) IS
'the words, phrases and error signatures grouping extracts from a text, with their document frequency and weight in the team (or in an empty team when team_id is null); grouping also caps the weight by the frequency within the signal''s source, which this function does not know';

-- How similar b is to a report made of a alone, as grouping scores it.
CREATE FUNCTION @extschema@.signal_similarity(a text, b text, team_id bigint DEFAULT NULL)
RETURNS real
AS 'MODULE_PATHNAME', 'signals_signal_similarity_0_2_0'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.signal_similarity(text, text, bigint) IS
'the score (0..1, the cosine of the two texts'' feature weights, cut for conflicting error signatures or titles) grouping would give text b against an earlier signal with text a, with the team''s feature weights; compare with signals.similarity_threshold';

-- Rebuild the team's grouping tables from its stored signals, as grouped.
CREATE FUNCTION @extschema@.grouping_replay(team_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'signals_grouping_replay_0_2_0'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.grouping_replay(bigint) IS
'rebuild the team''s grouping tables (document-frequency sketch, signal features, candidate and dedupe indexes) by replaying its grouped signals of live reports in arrival order into the reports they are in; reports and assignments do not change (after a restore without the grouping tables); returns how many signals were replayed';
REVOKE ALL ON FUNCTION @extschema@.grouping_replay(bigint) FROM PUBLIC;

-- Regroup the team's stored signals with the engine as it is now.
CREATE FUNCTION @extschema@.grouping_rebuild(team_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    before_signals uuid[];
    before_reports uuid[];
    regrouped bigint;
    kept uuid[];
    gone uuid[];
BEGIN
    PERFORM @extschema@.lock_team_grouping(grouping_rebuild.team_id);
    -- the grouped signals of live reports, and where they were
    SELECT pg_catalog.array_agg(s.id ORDER BY s.id), pg_catalog.array_agg(s.report_id ORDER BY s.id)
      INTO before_signals, before_reports
      FROM @extschema@.signals s
      JOIN @extschema@.reports r ON r.team_id OPERATOR(pg_catalog.=) s.team_id
                                AND r.id OPERATOR(pg_catalog.=) s.report_id
     WHERE s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND s.grouped_at IS NOT NULL AND r.status OPERATOR(pg_catalog.<>) 'deleted';
    IF before_signals IS NULL THEN
        RETURN 0;
    END IF;

    -- group them again from nothing, in arrival order, into new reports
    DELETE FROM @extschema@.grouping_members g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    DELETE FROM @extschema@.grouping_postings g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    DELETE FROM @extschema@.grouping_dedupe g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    DELETE FROM @extschema@.grouping_df g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    UPDATE @extschema@.grouping_state g SET n_docs = 0, total_docs = 0, width = 1024
     WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    UPDATE @extschema@.signals s SET grouped_at = NULL
     WHERE s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND s.id OPERATOR(pg_catalog.=) ANY (before_signals);
    regrouped := @extschema@.group_pending(grouping_rebuild.team_id, pg_catalog.cardinality(before_signals));

    -- A new report that holds most of an old report's signals takes the old
    -- report's id (and with it its status, research and artefacts); when it
    -- holds most of several, the one it holds most of.
    CREATE TEMP TABLE regroup_keep ON COMMIT DROP AS
    WITH b AS (SELECT u.signal_id, u.old_id
                 FROM ROWS FROM (pg_catalog.unnest(before_signals), pg_catalog.unnest(before_reports))
                      AS u(signal_id, old_id)),
         pairs AS (SELECT b.old_id, s.report_id AS new_id, pg_catalog.count(*) AS c
                     FROM b JOIN @extschema@.signals s
                       ON s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
                      AND s.id OPERATOR(pg_catalog.=) b.signal_id
                    GROUP BY 1, 2),
         sizes AS (SELECT p.old_id, pg_catalog.sum(p.c) AS total FROM pairs p GROUP BY 1)
    SELECT DISTINCT ON (p.new_id) p.new_id, p.old_id
      FROM pairs p JOIN sizes z ON z.old_id OPERATOR(pg_catalog.=) p.old_id
     WHERE p.c OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.>) z.total
     ORDER BY p.new_id, p.c DESC, p.old_id;
    UPDATE @extschema@.signals s
       SET report_id = k.old_id,
           match_detail = pg_catalog.jsonb_set(s.match_detail, '{report_id}', pg_catalog.to_jsonb(k.old_id::text))
      FROM regroup_keep k
     WHERE s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND s.report_id OPERATOR(pg_catalog.=) k.new_id;
    DELETE FROM @extschema@.reports r USING regroup_keep k
     WHERE r.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND r.id OPERATOR(pg_catalog.=) k.new_id;
    SELECT pg_catalog.array_agg(k.old_id) INTO kept FROM regroup_keep k;
    DROP TABLE regroup_keep;

    -- old reports that kept none: deleted, pointing at where most went
    SELECT pg_catalog.array_agg(DISTINCT o.id) INTO gone
      FROM pg_catalog.unnest(before_reports) AS o(id)
     WHERE kept IS NULL OR NOT o.id OPERATOR(pg_catalog.=) ANY (kept);
    IF gone IS NOT NULL THEN
        UPDATE @extschema@.reports r
           SET merged_into = (SELECT s.report_id
                                FROM ROWS FROM (pg_catalog.unnest(before_signals), pg_catalog.unnest(before_reports))
                                     AS u(signal_id, old_id)
                                JOIN @extschema@.signals s
                                  ON s.team_id OPERATOR(pg_catalog.=) r.team_id
                                 AND s.id OPERATOR(pg_catalog.=) u.signal_id
                               WHERE u.old_id OPERATOR(pg_catalog.=) r.id
                               GROUP BY s.report_id ORDER BY pg_catalog.count(*) DESC, s.report_id LIMIT 1)
         WHERE r.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
           AND r.id OPERATOR(pg_catalog.=) ANY (gone);
        PERFORM FROM @extschema@.move_reports(grouping_rebuild.team_id, gone, 'deleted');
    END IF;
    IF kept IS NOT NULL THEN
        PERFORM @extschema@.refresh_signal_fields(grouping_rebuild.team_id, kept);
        PERFORM @extschema@.promote_reports(grouping_rebuild.team_id, kept);
    END IF;
    RETURN regrouped;
END
$$;
COMMENT ON FUNCTION @extschema@.grouping_rebuild(bigint) IS
'regroup the team''s grouped signals of live reports with the grouping engine as it is now (after an engine change), in arrival order; a report keeps its id (status, research, artefacts) when one new report holds most of its signals, and a report that keeps none is deleted with merged_into naming where most of them went; returns how many signals were regrouped';
REVOKE ALL ON FUNCTION @extschema@.grouping_rebuild(bigint) FROM PUBLIC;

-- Remove grouping index rows that can no longer match.
CREATE FUNCTION @extschema@.grouping_prune(team_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Calling the library loads it, and with it the setting read next (with
    -- its default), also where the library is not preloaded.
    library text := @extschema@.library_version();
    horizon timestamptz := pg_catalog.now() OPERATOR(pg_catalog.-)
        pg_catalog.make_interval(days => pg_catalog.current_setting('signals.grouping_window_days')::integer);
    gone bigint := 0;
    n bigint;
BEGIN
    -- features of signals out of the window or in deleted reports
    DELETE FROM @extschema@.grouping_members m
     USING @extschema@.signals s, @extschema@.reports r
     WHERE m.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND s.team_id OPERATOR(pg_catalog.=) m.team_id AND s.id OPERATOR(pg_catalog.=) m.signal_id
       AND r.team_id OPERATOR(pg_catalog.=) s.team_id AND r.id OPERATOR(pg_catalog.=) s.report_id
       AND (r.status OPERATOR(pg_catalog.=) 'deleted'
            OR m.created_at OPERATOR(pg_catalog.<) horizon);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    -- index rows of signals without features
    DELETE FROM @extschema@.grouping_postings p
     WHERE p.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND NOT EXISTS (SELECT FROM @extschema@.grouping_members m
                        WHERE m.team_id OPERATOR(pg_catalog.=) p.team_id
                          AND m.signal_id OPERATOR(pg_catalog.=) p.signal_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    DELETE FROM @extschema@.grouping_dedupe k
     WHERE k.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND (k.seen_at OPERATOR(pg_catalog.<) horizon
            OR NOT EXISTS (SELECT FROM @extschema@.grouping_members m
                            WHERE m.team_id OPERATOR(pg_catalog.=) k.team_id
                              AND m.signal_id OPERATOR(pg_catalog.=) k.signal_id));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN gone OPERATOR(pg_catalog.+) n;
END
$$;
COMMENT ON FUNCTION @extschema@.grouping_prune(bigint) IS
'delete the team''s grouping rows of signals in deleted reports or out of the window (also after the team itself was deleted); returns how many rows went';
REVOKE ALL ON FUNCTION @extschema@.grouping_prune(bigint) FROM PUBLIC;
