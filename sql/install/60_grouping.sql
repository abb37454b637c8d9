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
    width       integer NOT NULL DEFAULT 1024,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
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
AS 'MODULE_PATHNAME', 'signals_group_pending'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.group_pending(bigint, integer) IS
'assign up to max_signals of the team''s queued signals, in arrival order, to reports (dedupe key, else text similarity, else a new potential report); returns how many were grouped, 0 at once when another session is grouping the team';
REVOKE ALL ON FUNCTION @extschema@.group_pending(bigint, integer) FROM PUBLIC;

-- The features grouping sees in a text, weighed with the team's frequencies.
CREATE FUNCTION @extschema@.grouping_features(description text, team_id bigint DEFAULT NULL)
RETURNS TABLE (feature text, kind text, df integer, weight real)
AS 'MODULE_PATHNAME', 'signals_grouping_features'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.grouping_features(text, bigint) IS
'the words, phrases and error signatures grouping extracts from a text, with their document frequency and weight in the team (or in an empty team when team_id is null); grouping also caps the weight by the frequency within the signal''s source, which this function does not know';

-- How similar b is to a report made of a alone, as grouping scores it.
CREATE FUNCTION @extschema@.signal_similarity(a text, b text, team_id bigint DEFAULT NULL)
RETURNS real
AS 'MODULE_PATHNAME', 'signals_signal_similarity'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.signal_similarity(text, text, bigint) IS
'the score (0..1, the cosine of the two texts'' feature weights, cut for conflicting error signatures or titles) grouping would give text b against an earlier signal with text a, with the team''s feature weights; compare with signals.similarity_threshold';

-- Rebuild the team's grouping tables from its stored signals.
CREATE FUNCTION @extschema@.grouping_rebuild(team_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'signals_grouping_rebuild'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.grouping_rebuild(bigint) IS
'rebuild the team''s grouping tables (document-frequency sketch, signal features, candidate and dedupe indexes) by replaying its grouped signals of live reports in arrival order into the reports they are in; reports and assignments do not change; returns how many signals were replayed';
REVOKE ALL ON FUNCTION @extschema@.grouping_rebuild(bigint) FROM PUBLIC;

-- Remove grouping index rows that can no longer match.
CREATE FUNCTION @extschema@.grouping_prune(team_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
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
