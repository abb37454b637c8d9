-- Grouping: how queued signals become reports (src/grouping.c and friends).
-- Five tables hold the engine's state, all keyed by team first:
--   grouping_state, grouping_df   the team's document-frequency sketch;
--   grouping_reports              each report's feature profile;
--   grouping_postings             the candidate index: feature -> reports;
--   grouping_dedupe               dedupe key -> reports that carried it.
-- They are derived from the signals, and grouping_rebuild(team) rebuilds
-- them from the stored signals (after an engine change in feature
-- extraction, or a restore without them); pg_dump still keeps them
-- (pg_extension_config_dump) so that a restore groups on at once.  Postings and dedupe rows have no foreign key (one
-- check per row would halve grouping throughput): rows of reports that are
-- gone are skipped when read and removed by grouping_prune().

CREATE TABLE @extschema@.grouping_state (
    team_id     bigint PRIMARY KEY REFERENCES @extschema@.teams ON DELETE CASCADE,
    n_docs      integer NOT NULL DEFAULT 0,
    total_docs  bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.grouping_state IS
'per-team grouping state: how many signals the document-frequency sketch counts (halved on decay) and has ever counted';

CREATE TABLE @extschema@.grouping_df (
    team_id  bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    page     integer NOT NULL,
    counts   bytea NOT NULL,
    PRIMARY KEY (team_id, page)
);
COMMENT ON TABLE @extschema@.grouping_df IS
'per-team document frequencies of signal features: a count-min sketch stored as pages of 512 little-endian 16-bit counters';

CREATE TABLE @extschema@.grouping_reports (
    team_id         bigint NOT NULL,
    report_id       uuid NOT NULL,
    last_signal_at  timestamptz NOT NULL,
    n_signals       integer NOT NULL,
    profile         bytea NOT NULL,
    PRIMARY KEY (team_id, report_id),
    FOREIGN KEY (team_id, report_id)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.grouping_reports IS
'a report''s feature profile (features of its signals with how many carried each) and when its newest signal arrived';

CREATE TABLE @extschema@.grouping_postings (
    team_id    bigint NOT NULL,
    feature    bigint NOT NULL,
    report_id  uuid NOT NULL,
    PRIMARY KEY (team_id, feature, report_id)
);
COMMENT ON TABLE @extschema@.grouping_postings IS
'candidate index: for a feature hash, the reports whose signals carried it among their heaviest features (newest report first by id)';

CREATE TABLE @extschema@.grouping_dedupe (
    team_id       bigint NOT NULL,
    key_hash      bigint NOT NULL,
    report_id     uuid NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    PRIMARY KEY (team_id, key_hash, report_id)
);
COMMENT ON TABLE @extschema@.grouping_dedupe IS
'dedupe index: for a dedupe key hash, the reports whose signals carried it and when the newest of them arrived';


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
'the score (0..1, evidence / (evidence + 10)) grouping would give text b against a report holding only text a, with the team''s feature weights; compare with signals.similarity_threshold';

-- Rebuild the team's grouping tables from its stored signals.
CREATE FUNCTION @extschema@.grouping_rebuild(team_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'signals_grouping_rebuild_0_2_0'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.grouping_rebuild(bigint) IS
'rebuild the team''s grouping tables (document-frequency sketch, report profiles, candidate and dedupe indexes) by replaying its grouped signals of live reports in arrival order into the reports they are in; reports and assignments do not change; returns how many signals were replayed';
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
    -- profiles of deleted reports and of reports without a signal in the window
    DELETE FROM @extschema@.grouping_reports g
     USING @extschema@.reports r
     WHERE g.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND r.team_id OPERATOR(pg_catalog.=) g.team_id
       AND r.id OPERATOR(pg_catalog.=) g.report_id
       AND (r.status OPERATOR(pg_catalog.=) 'deleted'
            OR g.last_signal_at OPERATOR(pg_catalog.<) horizon);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    -- index rows of reports without a profile
    DELETE FROM @extschema@.grouping_postings p
     WHERE p.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND NOT EXISTS (SELECT FROM @extschema@.grouping_reports g
                        WHERE g.team_id OPERATOR(pg_catalog.=) p.team_id
                          AND g.report_id OPERATOR(pg_catalog.=) p.report_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    DELETE FROM @extschema@.grouping_dedupe k
     WHERE k.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND (k.last_seen_at OPERATOR(pg_catalog.<) horizon
            OR NOT EXISTS (SELECT FROM @extschema@.reports r
                            WHERE r.team_id OPERATOR(pg_catalog.=) k.team_id
                              AND r.id OPERATOR(pg_catalog.=) k.report_id
                              AND r.status OPERATOR(pg_catalog.<>) 'deleted'));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN gone OPERATOR(pg_catalog.+) n;
END
$$;
COMMENT ON FUNCTION @extschema@.grouping_prune(bigint) IS
'delete the team''s grouping index rows for deleted reports and reports without a signal in the window (also after the team itself was deleted); returns how many rows went';
REVOKE ALL ON FUNCTION @extschema@.grouping_prune(bigint) FROM PUBLIC;
