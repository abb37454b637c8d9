-- reports/: the inbox.  Listing with filters and ordering, retrieval, the
-- state machine, deletion, artefacts and the signals of a report.

-- The research queues, which the workers and agents read at every step: the
-- candidates of a team (summarize_candidates), of all teams
-- (claim_candidate without a team) and the claims under way
-- (release_stale_claims).  Partial, so each holds only the reports waiting
-- there and no query of a step reads other teams' or other states' rows.
CREATE INDEX reports_candidates_idx
    ON @extschema@.reports (team_id, promoted_at, id)
    WHERE status OPERATOR(pg_catalog.=) 'candidate';
CREATE INDEX reports_candidates_all_teams_idx
    ON @extschema@.reports (promoted_at, team_id, id)
    WHERE status OPERATOR(pg_catalog.=) 'candidate';
CREATE INDEX reports_claims_idx
    ON @extschema@.reports (claimed_at, team_id, id)
    WHERE status OPERATOR(pg_catalog.=) 'in_progress' AND claimed_at IS NOT NULL;

-- Whether the viewer is a suggested reviewer of the report (never for failed
-- reports, nor for ready ones judged not actionable).  Inlinable.
CREATE FUNCTION @extschema@.is_suggested_reviewer(r @extschema@.reports, viewer uuid)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.array_position(r.suggested_reviewers, viewer) IS NOT NULL
           AND r.status_rank OPERATOR(pg_catalog.<>) ALL ('{1,6}'::smallint[])
$$;
COMMENT ON FUNCTION @extschema@.is_suggested_reviewer(@extschema@.reports, uuid) IS
'whether the viewer appears in the report''s newest suggested_reviewers artefact (false for failed, and for ready + not_actionable)';

CREATE TYPE @extschema@.api_report AS (
    id uuid, title text, summary text, status text, total_weight double precision,
    signal_count integer, signals_at_run integer, created_at text, updated_at text,
    artefact_count integer, priority text, actionability text, already_addressed boolean,
    is_suggested_reviewer boolean, source_products text[], implementation_pr_url text);
COMMENT ON TYPE @extschema@.api_report IS
'the JSON shape of a report in API responses';

-- A report as the API shows it, for the given viewer.  Inlinable (no SET, no
-- FROM): lists build it for every row of a page.
CREATE FUNCTION @extschema@.report_api(r @extschema@.reports, viewer uuid)
RETURNS @extschema@.api_report
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ROW(r.id, r.title, r.summary, r.status, r.total_weight, r.signal_count,
               r.signals_at_run, @extschema@.iso_time(r.created_at), @extschema@.iso_time(r.updated_at),
               r.artefact_count, r.priority, r.actionability, r.already_addressed,
               @extschema@.is_suggested_reviewer(r, viewer),
               r.source_products, r.implementation_pr_url)::@extschema@.api_report
$$;
COMMENT ON FUNCTION @extschema@.report_api(@extschema@.reports, uuid) IS
'a report in its API shape, for the given viewer';

CREATE FUNCTION @extschema@.report_json(r @extschema@.reports, viewer uuid)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(@extschema@.report_api(r, viewer))
$$;
COMMENT ON FUNCTION @extschema@.report_json(@extschema@.reports, uuid) IS
'a report as the API shows it to the viewer';

-- The report row, locked when for_update, unless it is missing or deleted (404).
CREATE FUNCTION @extschema@.live_report(team_id bigint, report_id uuid, for_update boolean DEFAULT false)
RETURNS @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports;
BEGIN
    IF for_update THEN
        SELECT * INTO r FROM @extschema@.reports x
         WHERE x.team_id OPERATOR(pg_catalog.=) live_report.team_id
           AND x.id OPERATOR(pg_catalog.=) live_report.report_id
           FOR UPDATE;
    ELSE
        SELECT * INTO r FROM @extschema@.reports x
         WHERE x.team_id OPERATOR(pg_catalog.=) live_report.team_id
           AND x.id OPERATOR(pg_catalog.=) live_report.report_id;
    END IF;
    IF r.id IS NULL OR r.status OPERATOR(pg_catalog.=) 'deleted' THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.live_report(bigint, uuid, boolean) IS
'the report, unless missing or deleted (then the not-found error); locked for update when asked';

-- The items of a comma-separated list, trimmed, without empty ones.
CREATE FUNCTION @extschema@.comma_list(value text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ARRAY(SELECT pg_catalog.btrim(item)
                   FROM pg_catalog.unnest(pg_catalog.string_to_array(value, ',')) WITH ORDINALITY AS x(item, n)
                  WHERE pg_catalog.btrim(item) OPERATOR(pg_catalog.<>) ''
                  ORDER BY n);
END
$$;
COMMENT ON FUNCTION @extschema@.comma_list(text) IS
'the trimmed, non-empty items of a comma-separated list';

-- The ORDER BY items for an ordering parameter (SPEC.md "ordering"): known
-- names only, "-" for descending, unknown and repeated names ignored, the
-- default when nothing is left, and id appended as the tiebreak.  Items name
-- columns of reports (the viewer-dependent is_suggested_reviewer aside).
CREATE FUNCTION @extschema@.report_order_by(ordering text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item text;
    name text;
    descending boolean;
    expr text;
    seen text[] := '{}';
    items text[] := '{}';
BEGIN
    FOREACH item IN ARRAY @extschema@.comma_list(ordering) LOOP
        descending := pg_catalog.left(item, 1) OPERATOR(pg_catalog.=) '-';
        name := CASE WHEN descending THEN pg_catalog.substr(item, 2) ELSE item END;
        expr := CASE name
            WHEN 'status' THEN 'status_rank'
            WHEN 'is_suggested_reviewer' THEN 'is_suggested_reviewer'
            WHEN 'signal_count' THEN 'signal_count'
            WHEN 'total_weight' THEN 'total_weight'
            WHEN 'priority' THEN 'priority_rank'
            WHEN 'created_at' THEN 'created_at'
            WHEN 'updated_at' THEN 'updated_at'
            WHEN 'id' THEN 'id'
        END;
        CONTINUE WHEN expr IS NULL OR name OPERATOR(pg_catalog.=) ANY (seen);
        seen := seen OPERATOR(pg_catalog.||) name;
        items := items OPERATOR(pg_catalog.||) (expr OPERATOR(pg_catalog.||)
                                                CASE WHEN descending THEN ' DESC' ELSE ' ASC' END);
    END LOOP;
    IF pg_catalog.cardinality(items) OPERATOR(pg_catalog.=) 0 THEN
        RETURN @extschema@.report_order_by('-is_suggested_reviewer,status,-updated_at');
    END IF;
    IF NOT 'id' OPERATOR(pg_catalog.=) ANY (seen) THEN
        items := items OPERATOR(pg_catalog.||) 'id ASC'::text;
    END IF;
    RETURN items;
END
$$;
COMMENT ON FUNCTION @extschema@.report_order_by(text) IS
'the ORDER BY items for an ordering parameter: known names only, "-" for descending, the default when none is known, id appended as tiebreak';

-- GET reports/: a page of the inbox.
--
-- The page is found by ids first and its rows are shaped last, so that only
-- the page's reports are turned into JSON.  When the ordering starts with
-- is_suggested_reviewer (as the default does), the viewer's reviews and the
-- rest are read as two ordered parts, each able to walk an index and stop
-- after the page, instead of sorting the whole inbox by a per-viewer value.
CREATE FUNCTION @extschema@.reports_list(
    team_id bigint,
    viewer uuid DEFAULT NULL,
    status text DEFAULT NULL,
    search text DEFAULT NULL,
    source_product text DEFAULT NULL,
    suggested_reviewers text DEFAULT NULL,
    ordering text DEFAULT NULL,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    accepted constant text[] := '{candidate,failed,in_progress,pending_input,potential,ready,resolved,suppressed}';
    reviewer_part constant text := 'r.suggested_reviewers OPERATOR(pg_catalog.@>) ARRAY[$1]'
                                   ' AND r.status_rank OPERATOR(pg_catalog.<>) ALL (''{1,6}''::smallint[])';
    statuses text[] := @extschema@.comma_list(status);
    ranks smallint[];
    products text[] := @extschema@.comma_list(source_product);
    reviewer_items text[] := @extschema@.comma_list(suggested_reviewers);
    reviewers uuid[] := '{}';
    invalid text[];
    item text;
    order_items text[] := @extschema@.report_order_by(ordering);
    filters text := 'r.team_id OPERATOR(pg_catalog.=) $2';
    page_ids text;
    source text := '@extschema@.reports r';
    matches text := '';
BEGIN
    -- status: a comma list of accepted values; by default all but suppressed.
    IF pg_catalog.cardinality(statuses) OPERATOR(pg_catalog.=) 0 THEN
        filters := filters OPERATOR(pg_catalog.||) ' AND r.status_rank OPERATOR(pg_catalog.<) 8';
    ELSE
        invalid := ARRAY(SELECT DISTINCT s FROM pg_catalog.unnest(statuses) s
                          WHERE s OPERATOR(pg_catalog.<>) ALL (accepted) ORDER BY s);
        IF pg_catalog.cardinality(invalid) OPERATOR(pg_catalog.>) 0 THEN
            RAISE EXCEPTION 'invalid status value(s): %; accepted values: %',
                            pg_catalog.left(pg_catalog.array_to_string(invalid, ', '), 200),
                            pg_catalog.array_to_string(accepted, ', ')
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
        END IF;
        -- Each status has its own rank, except ready (0 or 1).
        ranks := ARRAY(SELECT CASE s WHEN 'ready' THEN 0 WHEN 'pending_input' THEN 2
                                     WHEN 'in_progress' THEN 3 WHEN 'candidate' THEN 4
                                     WHEN 'potential' THEN 5 WHEN 'failed' THEN 6
                                     WHEN 'resolved' THEN 7 WHEN 'suppressed' THEN 8 END
                         FROM pg_catalog.unnest(statuses) s);
        IF 'ready' OPERATOR(pg_catalog.=) ANY (statuses) THEN
            ranks := ranks OPERATOR(pg_catalog.||) 1::smallint;
        END IF;
        -- The range keeps an index walk in status order possible; ANY picks the ranks.
        filters := filters OPERATOR(pg_catalog.||)
            ' AND r.status_rank OPERATOR(pg_catalog.>=) $10 AND r.status_rank OPERATOR(pg_catalog.<=) $11'
            ' AND r.status_rank OPERATOR(pg_catalog.=) ANY ($3)';
    END IF;

    IF coalesce(search, '') OPERATOR(pg_catalog.<>) '' THEN
        filters := filters OPERATOR(pg_catalog.||)
            ' AND (r.title OPERATOR(pg_catalog.~~*) $4 OR r.summary OPERATOR(pg_catalog.~~*) $4)';
    END IF;

    IF pg_catalog.cardinality(products) OPERATOR(pg_catalog.>) 0 THEN
        filters := filters OPERATOR(pg_catalog.||) ' AND r.source_products OPERATOR(pg_catalog.&&) $5';
    END IF;

    IF pg_catalog.cardinality(reviewer_items) OPERATOR(pg_catalog.>) 0 THEN
        FOREACH item IN ARRAY reviewer_items LOOP
            IF item OPERATOR(pg_catalog.!~) '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' THEN
                RAISE EXCEPTION 'invalid user UUID: "%"', pg_catalog.left(item, 100)
                    USING ERRCODE = 'invalid_text_representation', COLUMN = 'suggested_reviewers';
            END IF;
            reviewers := reviewers OPERATOR(pg_catalog.||) item::uuid;
        END LOOP;
        filters := filters OPERATOR(pg_catalog.||) ' AND r.suggested_reviewers OPERATOR(pg_catalog.&&) $6';
    END IF;

    EXECUTE 'SELECT pg_catalog.count(*) FROM @extschema@.reports r WHERE ' OPERATOR(pg_catalog.||) filters
       INTO total
      USING viewer, team_id, ranks, @extschema@.contains_pattern(search), products, reviewers,
            NULL::integer, NULL::integer, NULL::bigint,
            (SELECT pg_catalog.min(x) FROM pg_catalog.unnest(ranks) x),
            (SELECT pg_catalog.max(x) FROM pg_catalog.unnest(ranks) x);

    -- A search matching few reports is answered by the trigram indexes
    -- first; walking an ordered index would test most of the inbox before
    -- finding a page of them.  One matching many finds its page at once.
    IF coalesce(search, '') OPERATOR(pg_catalog.<>) '' AND total OPERATOR(pg_catalog.<=) 20000 THEN
        matches := pg_catalog.format(
            'WITH matches AS MATERIALIZED (SELECT r.* FROM @extschema@.reports r WHERE %s) ', filters);
        source := 'matches r';
        filters := 'true';
    END IF;

    IF order_items[1] OPERATOR(pg_catalog.=) 'is_suggested_reviewer DESC' THEN
        -- $9 bounds each part: no part needs more rows than the page's end.
        page_ids := pg_catalog.format(
            'SELECT p.id, pg_catalog.row_number() OVER (ORDER BY p.part, %2$s) AS n
               FROM ((SELECT 0 AS part, r.* FROM %4$s
                       WHERE %1$s AND %3$s ORDER BY %2$s LIMIT $9)
                     UNION ALL
                     (SELECT 1 AS part, r.* FROM %4$s
                       WHERE %1$s AND NOT coalesce(%3$s, false) ORDER BY %2$s LIMIT $9)) p
              ORDER BY p.part, %2$s
              LIMIT $7 OFFSET $8',
            filters, pg_catalog.array_to_string(order_items[2:], ', '), reviewer_part, source);
    ELSE
        page_ids := pg_catalog.format(
            'SELECT r.id, pg_catalog.row_number() OVER (ORDER BY %2$s) AS n
               FROM %3$s
              WHERE %1$s
              ORDER BY %2$s
              LIMIT $7 OFFSET $8',
            filters,
            pg_catalog.replace(pg_catalog.array_to_string(order_items, ', '),
                               'is_suggested_reviewer', '@extschema@.is_suggested_reviewer(r, $1)'),
            source);
    END IF;
    EXECUTE pg_catalog.format(
        '%sSELECT coalesce(pg_catalog.json_agg(@extschema@.report_json(r, $1) ORDER BY page.n), ''[]'')
           FROM (%s) page
           JOIN @extschema@.reports r
             ON r.team_id OPERATOR(pg_catalog.=) $2 AND r.id OPERATOR(pg_catalog.=) page.id',
        matches, page_ids)
       INTO results
      USING viewer, team_id, ranks, @extschema@.contains_pattern(search), products, reviewers,
            coalesce(page_limit, 100), coalesce(page_offset, 0),
            coalesce(page_limit, 100)::bigint OPERATOR(pg_catalog.+) coalesce(page_offset, 0),
            (SELECT pg_catalog.min(x) FROM pg_catalog.unnest(ranks) x),
            (SELECT pg_catalog.max(x) FROM pg_catalog.unnest(ranks) x);
END
$$;
COMMENT ON FUNCTION @extschema@.reports_list(bigint, uuid, text, text, text, text, text, integer, integer) IS
'a page of the team''s reports: filtered by status (default: all but suppressed), search (title or summary), source products and suggested reviewers; ordered by the ordering parameter (default -is_suggested_reviewer,status,-updated_at)';

-- GET reports/:id/ (one query: this is the hottest read of the API)
CREATE FUNCTION @extschema@.report_get(team_id bigint, report_id uuid, viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.report_json(r, viewer) INTO result
      FROM @extschema@.reports r
     WHERE r.team_id OPERATOR(pg_catalog.=) report_get.team_id
       AND r.id OPERATOR(pg_catalog.=) report_get.report_id
       AND r.status OPERATOR(pg_catalog.<>) 'deleted';
    IF result IS NULL THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.report_get(bigint, uuid, uuid) IS
'one report of the team (deleted reports are not found)';

-- The state machine of reports (SPEC.md).  Its rules live here and nowhere
-- else: report_move_refusal() says whether a move is allowed,
-- report_promotion_due() when a report is promoted, and move_reports() is
-- the one statement that writes a report's status and what goes with it.
-- report_transition() (one report, with errors), promote_reports() (the
-- grouping engine's promotion, set-based) and the research, merge and split
-- functions all go through them.

-- The title grouping gives a new report, from a signal's description (the
-- rule is shared with the engine, in C).
CREATE FUNCTION @extschema@.report_title(description text)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_report_title'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.report_title(text) IS
'the title of a new report made from a signal''s description: its first non-blank line, trimmed, cut at 200 characters with an ellipsis; "(empty signal)" when blank';

-- The setting signals.promote_weight (read in C, so that the library that
-- defines it is loaded in any session).
CREATE FUNCTION @extschema@.promote_weight()
RETURNS double precision
AS 'MODULE_PATHNAME', 'signals_promote_weight'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.promote_weight() IS
'the total weight at which a potential (or ready) report becomes a candidate: the setting signals.promote_weight';

-- Why the report may not move to to_status, or NULL when it may.  new_title
-- and new_summary are what the move would write (NULL: keep the report's).
CREATE FUNCTION @extschema@.report_move_refusal(
    r @extschema@.reports,
    to_status text,
    new_title text DEFAULT NULL,
    new_summary text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    from_status text := r.status;
    allowed boolean;
BEGIN
    allowed := CASE to_status
        -- promotion (potential, ready), or research given back (in_progress)
        WHEN 'candidate' THEN from_status OPERATOR(pg_catalog.=) ANY ('{potential,ready,in_progress}'::text[])
        WHEN 'in_progress' THEN from_status OPERATOR(pg_catalog.=) 'candidate'
        WHEN 'ready' THEN from_status OPERATOR(pg_catalog.=) 'in_progress'
        WHEN 'pending_input' THEN from_status OPERATOR(pg_catalog.=) 'in_progress'
        WHEN 'failed' THEN from_status OPERATOR(pg_catalog.=) 'in_progress'
        WHEN 'potential' THEN from_status OPERATOR(pg_catalog.=) ANY
                              ('{in_progress,pending_input,suppressed,ready,resolved,failed}'::text[])
        WHEN 'suppressed' THEN from_status OPERATOR(pg_catalog.<>) ALL ('{suppressed,deleted}'::text[])
        WHEN 'resolved' THEN from_status OPERATOR(pg_catalog.=) ANY ('{pending_input,ready}'::text[])
        WHEN 'deleted' THEN from_status OPERATOR(pg_catalog.<>) 'deleted'
        ELSE false
    END;
    -- Out of suppression: to potential, or back to where the report was.
    -- Research that was under way starts over from candidate, since whoever
    -- was doing it has let go (nobody would finish an in_progress report).
    IF from_status OPERATOR(pg_catalog.=) 'suppressed'
       AND to_status OPERATOR(pg_catalog.<>) ALL ('{potential,deleted}'::text[]) THEN
        allowed := to_status IS NOT DISTINCT FROM
                   CASE r.status_before_suppression WHEN 'in_progress' THEN 'candidate'
                                                    ELSE r.status_before_suppression END;
    END IF;
    IF NOT allowed THEN
        RETURN pg_catalog.format('cannot move a report from %s to %s', from_status, coalesce(to_status, 'NULL'));
    END IF;
    IF to_status OPERATOR(pg_catalog.=) 'ready'
       AND (@extschema@.is_blank(coalesce(new_title, r.title)) OR @extschema@.is_blank(coalesce(new_summary, r.summary))) THEN
        RETURN 'a report needs a title and a summary to be ready';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.report_move_refusal(@extschema@.reports, text, text, text) IS
'the state machine (SPEC.md): why the report may not move to the status (the 409 message), or NULL when it may';

-- Whether grouping should promote the report now: potential (or ready, when
-- new signals came after research) with enough weight and signals.
CREATE FUNCTION @extschema@.report_promotion_due(r @extschema@.reports)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.status OPERATOR(pg_catalog.=) ANY ('{potential,ready}'::text[])
           AND r.total_weight OPERATOR(pg_catalog.>=) @extschema@.promote_weight()
           AND r.signal_count OPERATOR(pg_catalog.>=) r.signals_at_run
$$;
COMMENT ON FUNCTION @extschema@.report_promotion_due(@extschema@.reports) IS
'whether the report is due for promotion to candidate: potential or ready, total_weight >= signals.promote_weight and signal_count >= signals_at_run';

-- snooze_for is 1..100000.
CREATE FUNCTION @extschema@.check_snooze_for(snooze_for integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF snooze_for OPERATOR(pg_catalog.<) 1 OR snooze_for OPERATOR(pg_catalog.>) 100000 THEN
        RAISE EXCEPTION 'snooze_for must be between 1 and 100000'
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = 'snooze_for';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_snooze_for(integer) IS
'raise the API''s validation error unless snooze_for (when given) is between 1 and 100000';

-- Move reports to to_status and apply what goes with each move: the one
-- statement that writes report statuses.  Reports the state machine refuses
-- are left as they are (callers that must tell why check
-- report_move_refusal() first, on rows they have locked).  Returns the
-- moved rows.
--   snooze_for    to potential: wait for this many more signals
--   title, summary, error   written with the move (error kept only by
--                 failed and pending_input)
--   agent         to in_progress: the external agent claiming the research
--   weight_reset  to potential: total_weight starts again from 0 (research
--                 found the report not actionable: it must earn promotion again)
CREATE FUNCTION @extschema@.move_reports(
    team_id bigint,
    report_ids uuid[],
    to_status text,
    snooze_for integer DEFAULT NULL,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL,
    agent text DEFAULT NULL,
    weight_reset boolean DEFAULT false)
RETURNS SETOF @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    moved bigint;
BEGIN
    RETURN QUERY
    UPDATE @extschema@.reports x
       SET status = to_status,
           status_before_suppression = CASE WHEN to_status OPERATOR(pg_catalog.=) 'suppressed'
                                            THEN x.status END,
           title = coalesce(move_reports.title, x.title),
           summary = coalesce(move_reports.summary, x.summary),
           error = CASE WHEN to_status OPERATOR(pg_catalog.=) ANY ('{failed,pending_input}'::text[])
                        THEN coalesce(move_reports.error, x.error) END,
           total_weight = CASE WHEN weight_reset AND to_status OPERATOR(pg_catalog.=) 'potential'
                               THEN 0 ELSE x.total_weight END,
           signals_at_run = CASE
               WHEN to_status OPERATOR(pg_catalog.=) 'in_progress'
                   THEN x.signal_count OPERATOR(pg_catalog.+) 3
               WHEN to_status OPERATOR(pg_catalog.=) 'potential' AND snooze_for IS NOT NULL
                   THEN x.signal_count OPERATOR(pg_catalog.+) snooze_for
               ELSE x.signals_at_run END,
           run_count = x.run_count OPERATOR(pg_catalog.+)
                       CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN 1 ELSE 0 END,
           promoted_at = CASE WHEN to_status OPERATOR(pg_catalog.=) 'candidate' THEN pg_catalog.now()
                              WHEN to_status OPERATOR(pg_catalog.=) ANY ('{potential,suppressed}'::text[]) THEN NULL
                              ELSE x.promoted_at END,
           claimed_by = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN agent END,
           claimed_at = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' AND agent IS NOT NULL
                             THEN pg_catalog.now() END,
           updated_at = pg_catalog.now()
     WHERE x.team_id OPERATOR(pg_catalog.=) move_reports.team_id
       AND x.id OPERATOR(pg_catalog.=) ANY (report_ids)
       AND @extschema@.report_move_refusal(x, to_status, move_reports.title, move_reports.summary) IS NULL
    RETURNING x.*;
    GET DIAGNOSTICS moved = ROW_COUNT;
    -- External research agents LISTEN for new candidates: a bare wake-up,
    -- since any role may LISTEN, so it names no team; agents read what they
    -- may see (claim_candidate, reports under row-level security).
    IF to_status OPERATOR(pg_catalog.=) 'candidate' AND moved OPERATOR(pg_catalog.>) 0 THEN
        PERFORM pg_catalog.pg_notify('signals_candidates', '');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.move_reports(bigint, uuid[], text, integer, text, text, text, text, boolean) IS
'move the team''s reports to a status with the effects of the state machine (the one place report statuses are written); refused moves are skipped; returns the moved rows';

-- Promote the given reports that are due (report_promotion_due): potential
-- or ready -> candidate, with promoted_at set.  The grouping engine calls
-- this after it has added signals to reports; merge and split do too.
-- Returns how many were promoted.
CREATE FUNCTION @extschema@.promote_reports(team_id bigint, report_ids uuid[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    due uuid[];
    promoted integer;
BEGIN
    -- Locked in id order, and re-checked on the locked rows.
    SELECT pg_catalog.array_agg(d.id ORDER BY d.id) INTO due
      FROM (SELECT r.id FROM @extschema@.reports r
             WHERE r.team_id OPERATOR(pg_catalog.=) promote_reports.team_id
               AND r.id OPERATOR(pg_catalog.=) ANY (report_ids)
               AND @extschema@.report_promotion_due(r)
             ORDER BY r.id
               FOR NO KEY UPDATE) d;
    IF due IS NULL THEN
        RETURN 0;
    END IF;
    SELECT pg_catalog.count(*) INTO promoted
      FROM @extschema@.move_reports(team_id, due, 'candidate');
    RETURN promoted;
END
$$;
COMMENT ON FUNCTION @extschema@.promote_reports(bigint, uuid[]) IS
'promote those of the team''s given reports that are due (potential or ready, total_weight >= signals.promote_weight, signal_count >= signals_at_run) to candidate; returns how many';

-- Move one report to another state, enforcing the state machine; returns the
-- updated row.  A missing or deleted report is not found; a refused move is
-- object_not_in_prerequisite_state (409 over HTTP) with the reason.
CREATE FUNCTION @extschema@.report_transition(
    team_id bigint,
    report_id uuid,
    to_status text,
    snooze_for integer DEFAULT NULL,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL,
    agent text DEFAULT NULL,
    weight_reset boolean DEFAULT false)
RETURNS @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id, true);
    refusal text;
BEGIN
    PERFORM @extschema@.check_snooze_for(snooze_for);
    refusal := @extschema@.report_move_refusal(r, to_status, title, summary);
    IF refusal IS NOT NULL THEN
        RAISE EXCEPTION '%', refusal USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT * INTO STRICT r
      FROM @extschema@.move_reports(team_id, ARRAY[report_id], to_status, snooze_for,
                                    title, summary, error, agent, weight_reset);
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.report_transition(bigint, uuid, text, integer, text, text, text, text, boolean) IS
'move a report along the state machine (SPEC.md): refused moves raise object_not_in_prerequisite_state (409 over HTTP)';

-- POST reports/:id/state/: suppress, snooze (potential) or resolve a report.
-- The body is checked before the move, so a bad field is always its 400.
CREATE FUNCTION @extschema@.report_set_state(
    team_id bigint,
    report_id uuid,
    state text,
    snooze_for integer DEFAULT NULL,
    viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id, true);
BEGIN
    IF state IS NULL THEN
        RAISE EXCEPTION 'state is required' USING ERRCODE = 'not_null_violation', COLUMN = 'state';
    END IF;
    IF state OPERATOR(pg_catalog.<>) ALL ('{suppressed,potential,resolved}'::text[]) THEN
        RAISE EXCEPTION '"%" is not a valid state', pg_catalog.left(state, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'state',
                  HINT = 'state is one of suppressed, potential, resolved.';
    END IF;
    IF snooze_for IS NOT NULL AND state OPERATOR(pg_catalog.<>) 'potential' THEN
        RAISE EXCEPTION 'snooze_for applies only to state potential'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'snooze_for';
    END IF;
    PERFORM @extschema@.check_snooze_for(snooze_for);
    -- The state asked for is the state given (SPEC.md: a suppressed report
    -- may go back to potential), or the 409 that says why not.
    r := @extschema@.report_transition(team_id, report_id, state, snooze_for);
    RETURN @extschema@.report_json(r, viewer);
END
$$;
COMMENT ON FUNCTION @extschema@.report_set_state(bigint, uuid, text, integer, uuid) IS
'suppress a report, snooze it (potential, for snooze_for more signals), bring it back from suppression to potential, or resolve it';

CREATE TYPE @extschema@.api_deletion AS (status text, report_id uuid);
COMMENT ON TYPE @extschema@.api_deletion IS
'the JSON shape of DELETE reports/:id/';

-- DELETE reports/:id/
CREATE FUNCTION @extschema@.report_delete(team_id bigint, report_id uuid)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.report_transition(team_id, report_id, 'deleted');
    RETURN pg_catalog.row_to_json(ROW('deletion_started', report_id)::@extschema@.api_deletion);
END
$$;
COMMENT ON FUNCTION @extschema@.report_delete(bigint, uuid) IS
'delete a report: it disappears from the API and no signal joins it again';

CREATE TYPE @extschema@.api_artefact AS (id uuid, type text, content jsonb, created_at text);
COMMENT ON TYPE @extschema@.api_artefact IS
'the JSON shape of a report artefact in API responses';

-- An artefact as the API shows it.  Inlinable.
CREATE FUNCTION @extschema@.artefact_json(a @extschema@.report_artefacts)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(a.id, a.type, a.content,
                                      @extschema@.iso_time(a.created_at))::@extschema@.api_artefact)
$$;
COMMENT ON FUNCTION @extschema@.artefact_json(@extschema@.report_artefacts) IS
'a report artefact as the API shows it';

-- GET reports/:id/artefacts/: newest first.
CREATE FUNCTION @extschema@.report_artefacts_list(
    team_id bigint,
    report_id uuid,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.live_report(team_id, report_id);
    SELECT pg_catalog.count(*) INTO total
      FROM @extschema@.report_artefacts a
     WHERE a.team_id OPERATOR(pg_catalog.=) report_artefacts_list.team_id
       AND a.report_id OPERATOR(pg_catalog.=) report_artefacts_list.report_id;
    SELECT coalesce(pg_catalog.json_agg(@extschema@.artefact_json(a) ORDER BY a.created_at DESC, a.id DESC), '[]')
      INTO results
      FROM (SELECT * FROM @extschema@.report_artefacts a
             WHERE a.team_id OPERATOR(pg_catalog.=) report_artefacts_list.team_id
               AND a.report_id OPERATOR(pg_catalog.=) report_artefacts_list.report_id
             ORDER BY a.created_at DESC, a.id DESC
             LIMIT coalesce(page_limit, 100) OFFSET coalesce(page_offset, 0)) a;
END
$$;
COMMENT ON FUNCTION @extschema@.report_artefacts_list(bigint, uuid, integer, integer) IS
'a page of the report''s artefacts, newest first';

CREATE TYPE @extschema@.api_signal AS (
    id uuid, source_product text, source_type text, source_id text, description text,
    weight double precision, extra jsonb, dedupe_keys text[], run_id uuid, created_at text,
    grouped_at text, match_method text, match_score real, match_detail jsonb);
COMMENT ON TYPE @extschema@.api_signal IS
'the JSON shape of a signal, with how it joined its report, in API responses';

-- A signal with its match evidence, as GET reports/:id/signals/ shows it.  Inlinable.
CREATE FUNCTION @extschema@.signal_api(s @extschema@.signals)
RETURNS @extschema@.api_signal
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ROW(s.id, s.source_product, s.source_type, s.source_id, s.description, s.weight,
               s.extra, s.dedupe_keys, s.run_id,
               @extschema@.iso_time(s.created_at), @extschema@.iso_time(s.grouped_at),
               s.match_method, s.match_score, s.match_detail)::@extschema@.api_signal
$$;
COMMENT ON FUNCTION @extschema@.signal_api(@extschema@.signals) IS
'a signal and how it joined its report (match_method, match_score, match_detail), in its API shape';

CREATE TYPE @extschema@.api_report_signals AS (report @extschema@.api_report, signals @extschema@.api_signal[]);
COMMENT ON TYPE @extschema@.api_report_signals IS
'the JSON shape of GET reports/:id/signals/';

-- GET reports/:id/signals/: the report and its signals in arrival order.
CREATE FUNCTION @extschema@.report_signals(
    team_id bigint,
    report_id uuid,
    viewer uuid DEFAULT NULL,
    max_signals integer DEFAULT 1000)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id);
BEGIN
    RETURN pg_catalog.row_to_json(ROW(
               @extschema@.report_api(r, viewer),
               ARRAY(SELECT @extschema@.signal_api(s)
                       FROM @extschema@.signals s
                      WHERE s.team_id OPERATOR(pg_catalog.=) report_signals.team_id
                        AND s.report_id OPERATOR(pg_catalog.=) report_signals.report_id
                      ORDER BY s.id
                      LIMIT coalesce(max_signals, 1000))
           )::@extschema@.api_report_signals);
END
$$;
COMMENT ON FUNCTION @extschema@.report_signals(bigint, uuid, uuid, integer) IS
'the report and (up to max_signals of) its signals in arrival order, each with its match evidence';
