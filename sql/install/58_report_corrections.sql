-- Correcting grouping: merge a report into another, or split signals off a
-- report into a new one.  People and agents fix the inbox with these.
--
-- A signal moves by its report_id alone.  The grouping engine resolves a
-- signal's report through signals.report_id when it reads its index and
-- dedupe keys, so the engine follows a correction without the grouping_*
-- tables being touched here.  Corrections and grouping of one team are
-- serialised by the team's row in grouping_state (lock_team_grouping()).

-- Lineage: where a report went (merge) or came from (split).
ALTER TABLE @extschema@.reports
    ADD COLUMN merged_into uuid,
    ADD COLUMN split_from uuid,
    ADD CONSTRAINT reports_merged_into_fkey FOREIGN KEY (team_id, merged_into)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE SET NULL (merged_into),
    ADD CONSTRAINT reports_split_from_fkey FOREIGN KEY (team_id, split_from)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE SET NULL (split_from);
-- For the foreign keys' checks when a report row goes, and for the engine's
-- look-up of a report's split lineage.
CREATE INDEX reports_merged_into_idx
    ON @extschema@.reports (team_id, merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX reports_split_from_idx
    ON @extschema@.reports (team_id, split_from) WHERE split_from IS NOT NULL;
COMMENT ON COLUMN @extschema@.reports.merged_into IS
'the report this one was merged into (this one is then deleted; merging never rewrites this column)';
COMMENT ON COLUMN @extschema@.reports.split_from IS
'the report this one was split off from: the grouping engine never merges the two back';

-- Hold the team's grouping: lock its row in grouping_state (made when
-- missing), as the grouping engine does before it groups the team.  With
-- wait = false, return false at once when another transaction holds it.
CREATE FUNCTION @extschema@.lock_team_grouping(team_id bigint, wait boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.team_id OPERATOR(pg_catalog.=) lock_team_grouping.team_id) THEN
        RAISE EXCEPTION 'team % not found', team_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO @extschema@.grouping_state (team_id) VALUES (lock_team_grouping.team_id)
        ON CONFLICT DO NOTHING;
    IF coalesce(wait, true) THEN
        PERFORM FROM @extschema@.grouping_state g
          WHERE g.team_id OPERATOR(pg_catalog.=) lock_team_grouping.team_id
            FOR UPDATE;
        RETURN true;
    END IF;
    PERFORM FROM @extschema@.grouping_state g
      WHERE g.team_id OPERATOR(pg_catalog.=) lock_team_grouping.team_id
        FOR UPDATE SKIP LOCKED;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION @extschema@.lock_team_grouping(bigint, boolean) IS
'lock the team''s grouping (its grouping_state row, made when missing) until the transaction ends; with wait = false, false when another transaction holds it';

-- Recompute the report fields that come from its signals: how many, their
-- total weight and their sorted distinct source products.
CREATE FUNCTION @extschema@.refresh_signal_fields(team_id bigint, report_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.reports r
       SET signal_count = t.n,
           total_weight = t.w,
           source_products = t.products,
           updated_at = pg_catalog.now()
      FROM (SELECT x.id,
                   (SELECT pg_catalog.count(*)::integer FROM @extschema@.signals s
                     WHERE s.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
                       AND s.report_id OPERATOR(pg_catalog.=) x.id) AS n,
                   (SELECT coalesce(pg_catalog.sum(s.weight), 0) FROM @extschema@.signals s
                     WHERE s.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
                       AND s.report_id OPERATOR(pg_catalog.=) x.id) AS w,
                   ARRAY(SELECT DISTINCT s.source_product COLLATE "C" FROM @extschema@.signals s
                          WHERE s.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
                            AND s.report_id OPERATOR(pg_catalog.=) x.id
                          ORDER BY 1) AS products
              FROM pg_catalog.unnest(report_ids) AS x(id)) t
     WHERE r.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
       AND r.id OPERATOR(pg_catalog.=) t.id;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh_signal_fields(bigint, uuid[]) IS
'recompute signal_count, total_weight and source_products of the team''s given reports from their signals';

-- 409 unless forced: research is under way on the report.
CREATE FUNCTION @extschema@.check_no_research(r @extschema@.reports, force boolean, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF r.status OPERATOR(pg_catalog.=) 'in_progress' AND NOT coalesce(force, false) THEN
        RAISE EXCEPTION 'research is in progress on %', what
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Pass "force": true to go ahead anyway; the research under way is then lost.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_no_research(@extschema@.reports, boolean, text) IS
'raise the 409 "research is in progress on <what>" when the report is in_progress and force is not set';

-- POST reports/:id/merge/: move every signal (and artefact) of the report
-- into another live report of the team, recompute the target, and delete
-- the source with merged_into set.  Returns the target.
CREATE FUNCTION @extschema@.report_merge(
    team_id bigint,
    report_id uuid,
    into_id uuid,
    force boolean DEFAULT false,
    viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports;
    source @extschema@.reports;
    target @extschema@.reports;
BEGIN
    IF into_id IS NULL THEN
        RAISE EXCEPTION 'into is required' USING ERRCODE = 'not_null_violation', COLUMN = 'into';
    END IF;
    IF into_id OPERATOR(pg_catalog.=) report_id THEN
        RAISE EXCEPTION 'cannot merge a report into itself'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'into';
    END IF;
    -- The team's grouping first, then both reports in id order: the order
    -- every correction takes, so two of them never deadlock.
    PERFORM @extschema@.lock_team_grouping(team_id);
    FOR r IN
        SELECT * FROM @extschema@.reports x
         WHERE x.team_id OPERATOR(pg_catalog.=) report_merge.team_id
           AND x.id OPERATOR(pg_catalog.=) ANY (ARRAY[report_id, into_id])
         ORDER BY x.id
           FOR UPDATE
    LOOP
        IF r.id OPERATOR(pg_catalog.=) report_id THEN
            source := r;
        ELSE
            target := r;
        END IF;
    END LOOP;
    IF source.id IS NULL OR source.status OPERATOR(pg_catalog.=) 'deleted' THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found';
    END IF;
    IF target.id IS NULL THEN
        RAISE EXCEPTION 'report to merge into not found' USING ERRCODE = 'no_data_found', COLUMN = 'into';
    END IF;
    IF target.merged_into IS NOT NULL THEN
        RAISE EXCEPTION 'cannot merge into a report that was merged into report %', target.merged_into
            USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'into';
    END IF;
    IF target.status OPERATOR(pg_catalog.=) ANY ('{deleted,suppressed}'::text[]) THEN
        RAISE EXCEPTION 'cannot merge into a % report', target.status
            USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'into';
    END IF;
    PERFORM @extschema@.check_no_research(source, force, 'the report');
    PERFORM @extschema@.check_no_research(target, force, 'the report to merge into');

    UPDATE @extschema@.signals s
       SET report_id = into_id
     WHERE s.team_id OPERATOR(pg_catalog.=) report_merge.team_id
       AND s.report_id OPERATOR(pg_catalog.=) source.id;
    -- Research on the source is about the same issue: its judgments join the
    -- target's (the newest of each kind wins, as always).
    UPDATE @extschema@.report_artefacts a
       SET report_id = into_id
     WHERE a.team_id OPERATOR(pg_catalog.=) report_merge.team_id
       AND a.report_id OPERATOR(pg_catalog.=) source.id;
    PERFORM @extschema@.refresh_signal_fields(team_id, ARRAY[source.id, into_id]);
    PERFORM @extschema@.move_reports(team_id, ARRAY[source.id], 'deleted');
    UPDATE @extschema@.reports x
       SET merged_into = into_id
     WHERE x.team_id OPERATOR(pg_catalog.=) report_merge.team_id
       AND x.id OPERATOR(pg_catalog.=) source.id;
    PERFORM @extschema@.promote_reports(team_id, ARRAY[into_id]);
    RETURN @extschema@.report_get(team_id, into_id, viewer);
END
$$;
COMMENT ON FUNCTION @extschema@.report_merge(bigint, uuid, uuid, boolean, uuid) IS
'merge a report into another of the team: its signals and artefacts move, the target''s counters, source products, artefact fields and promotion are recomputed, and the source is deleted with merged_into set; research in progress on either is a 409 unless forced';

-- POST reports/:id/split/: move some of the report's signals to a new
-- report, made as grouping makes one (potential, titled from the first
-- moved signal unless a title is given, promoted when due), remembered as
-- split from this one.  Returns the new report.
CREATE FUNCTION @extschema@.report_split(
    team_id bigint,
    report_id uuid,
    signal_ids text[],
    title text DEFAULT NULL,
    force boolean DEFAULT false,
    viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids uuid[] := '{}';
    item text;
    r @extschema@.reports;
    members integer;
    stranger uuid;
    new_id uuid := @extschema@.uuid_v7();
BEGIN
    IF signal_ids IS NULL THEN
        RAISE EXCEPTION 'signal_ids is required' USING ERRCODE = 'not_null_violation', COLUMN = 'signal_ids';
    END IF;
    IF pg_catalog.cardinality(signal_ids) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'signal_ids must name at least one signal'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'signal_ids';
    END IF;
    FOREACH item IN ARRAY signal_ids LOOP
        IF item IS NULL OR item OPERATOR(pg_catalog.!~)
           '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' THEN
            RAISE EXCEPTION 'invalid signal id: "%"', pg_catalog.left(coalesce(item, 'null'), 100)
                USING ERRCODE = 'invalid_text_representation', COLUMN = 'signal_ids';
        END IF;
        ids := ids OPERATOR(pg_catalog.||) item::uuid;
    END LOOP;
    ids := ARRAY(SELECT DISTINCT i FROM pg_catalog.unnest(ids) i ORDER BY i);
    IF title IS NOT NULL THEN
        PERFORM @extschema@.check_text_field('title', title, 200);
    END IF;

    PERFORM @extschema@.lock_team_grouping(team_id);
    r := @extschema@.live_report(team_id, report_id, true);
    SELECT i INTO stranger
      FROM pg_catalog.unnest(ids) i
     WHERE NOT EXISTS (SELECT FROM @extschema@.signals s
                        WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
                          AND s.id OPERATOR(pg_catalog.=) i
                          AND s.report_id OPERATOR(pg_catalog.=) r.id)
     ORDER BY i
     LIMIT 1;
    IF stranger IS NOT NULL THEN
        RAISE EXCEPTION 'signal % is not a signal of this report', stranger
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'signal_ids';
    END IF;
    SELECT pg_catalog.count(*) INTO members
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
       AND s.report_id OPERATOR(pg_catalog.=) r.id;
    IF members OPERATOR(pg_catalog.=) pg_catalog.cardinality(ids) THEN
        RAISE EXCEPTION 'cannot split off every signal of a report'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'signal_ids',
                  HINT = 'Leave at least one signal in the report.';
    END IF;
    PERFORM @extschema@.check_no_research(r, force, 'the report');

    INSERT INTO @extschema@.reports (team_id, id, title, status, split_from)
    SELECT report_split.team_id, new_id,
           coalesce(report_split.title, @extschema@.report_title(s.description)), 'potential', r.id
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
       AND s.id OPERATOR(pg_catalog.=) ids[1];
    UPDATE @extschema@.signals s
       SET report_id = new_id
     WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
       AND s.id OPERATOR(pg_catalog.=) ANY (ids);
    PERFORM @extschema@.refresh_signal_fields(team_id, ARRAY[r.id, new_id]);
    PERFORM @extschema@.promote_reports(team_id, ARRAY[r.id, new_id]);
    RETURN @extschema@.report_get(team_id, new_id, viewer);
END
$$;
COMMENT ON FUNCTION @extschema@.report_split(bigint, uuid, text[], text, boolean, uuid) IS
'split some signals of a report off into a new report (computed as grouping computes a new one, split_from set); research in progress is a 409 unless forced';
