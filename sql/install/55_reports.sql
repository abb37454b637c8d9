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

-- Move a report to another state, enforcing the state machine; returns the
-- updated row.  The single place where report statuses change.
CREATE FUNCTION @extschema@.report_transition(
    team_id bigint,
    report_id uuid,
    to_status text,
    snooze_for integer DEFAULT NULL,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL)
RETURNS @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id, true);
    from_status text := r.status;
    allowed boolean;
BEGIN
    allowed := CASE to_status
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
    -- Out of suppression only back to where the report was (or to potential);
    -- research that was under way when it was suppressed starts over from
    -- candidate, since whoever was doing it has let go.
    IF from_status OPERATOR(pg_catalog.=) 'suppressed'
       AND to_status OPERATOR(pg_catalog.<>) ALL ('{potential,deleted}'::text[]) THEN
        allowed := to_status IS NOT DISTINCT FROM
                   CASE r.status_before_suppression WHEN 'in_progress' THEN 'candidate'
                                                    ELSE r.status_before_suppression END;
    END IF;
    IF NOT allowed THEN
        RAISE EXCEPTION 'cannot move a report from % to %', from_status, coalesce(to_status, 'NULL')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_status OPERATOR(pg_catalog.=) 'ready' AND from_status OPERATOR(pg_catalog.=) 'in_progress'
       AND (@extschema@.is_blank(coalesce(title, r.title)) OR @extschema@.is_blank(coalesce(summary, r.summary))) THEN
        RAISE EXCEPTION 'a report needs a title and a summary to be ready'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF snooze_for IS NOT NULL AND (snooze_for OPERATOR(pg_catalog.<) 1 OR snooze_for OPERATOR(pg_catalog.>) 100000) THEN
        RAISE EXCEPTION 'snooze_for must be between 1 and 100000'
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = 'snooze_for';
    END IF;

    UPDATE @extschema@.reports x
       SET status = to_status,
           status_before_suppression = CASE WHEN to_status OPERATOR(pg_catalog.=) 'suppressed'
                                            THEN from_status END,
           title = coalesce(report_transition.title, x.title),
           summary = coalesce(report_transition.summary, x.summary),
           error = CASE WHEN to_status OPERATOR(pg_catalog.=) ANY ('{failed,pending_input}'::text[])
                        THEN coalesce(report_transition.error, x.error) END,
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
           claimed_by = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN x.claimed_by END,
           claimed_at = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN x.claimed_at END,
           updated_at = pg_catalog.now()
     WHERE x.team_id OPERATOR(pg_catalog.=) r.team_id
       AND x.id OPERATOR(pg_catalog.=) r.id
    RETURNING * INTO r;
    IF to_status OPERATOR(pg_catalog.=) 'candidate' THEN
        PERFORM pg_catalog.pg_notify('signals_candidates', team_id::text);
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.report_transition(bigint, uuid, text, integer, text, text, text) IS
'move a report along the state machine (SPEC.md): refused moves raise object_not_in_prerequisite_state (409 over HTTP)';

-- POST reports/:id/state/: suppress, snooze (potential) or resolve a report.
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
    target text := state;
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
    -- Un-suppressing without a snooze restores the state before suppression
    -- (research under way is queued again as a candidate).
    IF state OPERATOR(pg_catalog.=) 'potential' AND r.status OPERATOR(pg_catalog.=) 'suppressed'
       AND snooze_for IS NULL THEN
        target := CASE coalesce(r.status_before_suppression, 'potential')
                      WHEN 'in_progress' THEN 'candidate'
                      ELSE coalesce(r.status_before_suppression, 'potential') END;
    END IF;
    r := @extschema@.report_transition(team_id, report_id, target, snooze_for);
    RETURN @extschema@.report_json(r, viewer);
END
$$;
COMMENT ON FUNCTION @extschema@.report_set_state(bigint, uuid, text, integer, uuid) IS
'suppress a report, snooze it back to potential for snooze_for more signals, un-suppress it, or resolve it';

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
