-- An external judge for uncertain matches (team setting matching_mode =
-- 'external').  When a signal's best score falls in [signals.judge_band_low,
-- signals.judge_band_high), grouping does not decide: it records the
-- signal's best candidates here, leaves the signal queued and notifies
-- channel signals_judgments (with no payload: any role may LISTEN).  A judge
-- (a DBA role, or a client granted these functions) claims pending
-- judgments, reads each signal's text and its candidates, and decides: join
-- report X, or a new report.  The next grouping step applies the decision; a
-- judgment still undecided at its deadline (the team's judge_deadline) is
-- decided by the engine: a new report.  Pause and resume apply as to any
-- queued signal.

CREATE TABLE @extschema@.grouping_judgments (
    team_id      bigint NOT NULL,
    signal_id    uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deadline     timestamptz NOT NULL,
    candidates   jsonb NOT NULL,
    claimed_by   text,
    claimed_at   timestamptz,
    decided_at   timestamptz,
    decided_by   text,
    decision     uuid,
    applied_at   timestamptz,
    PRIMARY KEY (team_id, signal_id),
    FOREIGN KEY (team_id, signal_id) REFERENCES @extschema@.signals (team_id, id) ON DELETE CASCADE
);
CREATE INDEX grouping_judgments_pending_idx
    ON @extschema@.grouping_judgments (team_id, deadline) WHERE decided_at IS NULL;
COMMENT ON TABLE @extschema@.grouping_judgments IS
'uncertain matches waiting for (or decided by) an external judge: the signal''s best candidate reports with their evidence, who claimed it, and the decision (decision NULL with decided_at set: a new report)';
COMMENT ON COLUMN @extschema@.grouping_judgments.candidates IS
'the signal''s best candidate reports, best first: [{report_id, score, evidence, nearest_signal_id, shared}]';

-- Claim up to max_judgments pending judgments (of one team, or of every team
-- the caller may see), for judge, for lease; returns them with the text of
-- the signal, of each candidate report and of its nearest signal.
CREATE FUNCTION @extschema@.judge_claim(
    judge text,
    team_id bigint DEFAULT NULL,
    max_judgments integer DEFAULT 10,
    lease interval DEFAULT '5 minutes')
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    claimed json;
BEGIN
    IF judge IS NULL OR pg_catalog.btrim(judge) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'judge must not be blank' USING ERRCODE = 'invalid_parameter_value', COLUMN = 'judge';
    END IF;
    IF max_judgments IS NULL OR max_judgments OPERATOR(pg_catalog.<) 1 OR max_judgments OPERATOR(pg_catalog.>) 1000 THEN
        RAISE EXCEPTION 'max_judgments must be between 1 and 1000'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'max_judgments';
    END IF;
    WITH mine AS (
        SELECT j.team_id, j.signal_id
          FROM @extschema@.grouping_judgments j
         WHERE (judge_claim.team_id IS NULL OR j.team_id OPERATOR(pg_catalog.=) judge_claim.team_id)
           AND j.decided_at IS NULL AND j.deadline OPERATOR(pg_catalog.>) pg_catalog.now()
           AND (j.claimed_at IS NULL OR j.claimed_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) lease))
         ORDER BY j.deadline, j.team_id, j.signal_id
         LIMIT max_judgments
           FOR UPDATE SKIP LOCKED),
    taken AS (
        UPDATE @extschema@.grouping_judgments j
           SET claimed_by = judge_claim.judge, claimed_at = pg_catalog.now()
          FROM mine m
         WHERE j.team_id OPERATOR(pg_catalog.=) m.team_id AND j.signal_id OPERATOR(pg_catalog.=) m.signal_id
        RETURNING j.*)
    SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
               'team_id', t.team_id,
               'signal_id', t.signal_id,
               'source_id', s.source_id,
               'description', s.description,
               'source_product', s.source_product,
               'source_type', s.source_type,
               'deadline', @extschema@.iso_time(t.deadline),
               'candidates', (SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                                  'report_id', r.id, 'title', r.title, 'summary', r.summary,
                                  'signal_count', r.signal_count,
                                  'score', c.value -> 'score', 'evidence', c.value -> 'evidence',
                                  'shared', c.value -> 'shared',
                                  'nearest_signal', pg_catalog.json_build_object(
                                      'id', n.id, 'source_id', n.source_id, 'description', n.description))
                                  ORDER BY c.ordinality), '[]')
                                FROM pg_catalog.jsonb_array_elements(t.candidates) WITH ORDINALITY c
                                JOIN @extschema@.reports r
                                  ON r.team_id OPERATOR(pg_catalog.=) t.team_id
                                 AND r.id OPERATOR(pg_catalog.=) (c.value ->> 'report_id')::uuid
                                LEFT JOIN @extschema@.signals n
                                  ON n.team_id OPERATOR(pg_catalog.=) t.team_id
                                 AND n.id OPERATOR(pg_catalog.=) (c.value ->> 'nearest_signal_id')::uuid))
               ORDER BY t.deadline, t.team_id, t.signal_id), '[]')
      INTO claimed
      FROM taken t
      JOIN @extschema@.signals s ON s.team_id OPERATOR(pg_catalog.=) t.team_id
                                AND s.id OPERATOR(pg_catalog.=) t.signal_id;
    RETURN claimed;
END
$$;
COMMENT ON FUNCTION @extschema@.judge_claim(text, bigint, integer, interval) IS
'claim up to max_judgments undecided judgments before their deadline (unclaimed, or claimed longer ago than lease), of one team or of all the caller may see; two judges never get the same one; returns each signal''s text with its candidate reports and their nearest signals';

-- Decide a judgment: join report_id, or (NULL) a new report.
CREATE FUNCTION @extschema@.judge_decide(
    team_id bigint,
    signal_id uuid,
    report_id uuid,
    judge text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    j @extschema@.grouping_judgments;
    target_status text;
BEGIN
    SELECT * INTO j FROM @extschema@.grouping_judgments g
     WHERE g.team_id OPERATOR(pg_catalog.=) judge_decide.team_id
       AND g.signal_id OPERATOR(pg_catalog.=) judge_decide.signal_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'judgment not found' USING ERRCODE = 'no_data_found', COLUMN = 'signal_id';
    END IF;
    IF report_id IS NOT NULL THEN
        SELECT r.status INTO target_status FROM @extschema@.reports r
         WHERE r.team_id OPERATOR(pg_catalog.=) judge_decide.team_id
           AND r.id OPERATOR(pg_catalog.=) judge_decide.report_id;
        IF target_status IS NULL OR target_status OPERATOR(pg_catalog.=) 'deleted' THEN
            RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found', COLUMN = 'report_id';
        END IF;
        IF target_status OPERATOR(pg_catalog.=) 'suppressed' THEN
            RAISE EXCEPTION 'cannot join a suppressed report'
                USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'report_id';
        END IF;
    END IF;
    IF j.decided_at IS NOT NULL THEN
        -- the same decision again is a no-op; another one is refused
        IF j.decision IS NOT DISTINCT FROM report_id THEN
            RETURN pg_catalog.json_build_object('signal_id', j.signal_id, 'report_id', j.decision,
                                                'decided_by', j.decided_by, 'already_decided', true);
        END IF;
        RAISE EXCEPTION 'the judgment was already decided by %', j.decided_by
            USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'signal_id';
    END IF;
    UPDATE @extschema@.grouping_judgments g
       SET decided_at = pg_catalog.now(), decision = judge_decide.report_id,
           decided_by = COALESCE(judge_decide.judge, j.claimed_by, CURRENT_USER::text)
     WHERE g.team_id OPERATOR(pg_catalog.=) j.team_id AND g.signal_id OPERATOR(pg_catalog.=) j.signal_id
    RETURNING * INTO j;
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.json_build_object('signal_id', j.signal_id, 'report_id', j.decision,
                                        'decided_by', j.decided_by, 'already_decided', false);
END
$$;
COMMENT ON FUNCTION @extschema@.judge_decide(bigint, uuid, uuid, text) IS
'decide a pending judgment: join report_id (a live report of the team) or, with NULL, open a new report; the next grouping step applies it; the same decision again is a no-op, another one after a decision (the judge''s or the engine''s at the deadline) is refused';

REVOKE ALL ON FUNCTION @extschema@.judge_claim(text, bigint, integer, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.judge_decide(bigint, uuid, uuid, text) FROM PUBLIC;
