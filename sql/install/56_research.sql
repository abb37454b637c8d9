-- Research: what happens to candidate reports.  Artefacts and the report
-- fields derived from them, the built-in extractive summarizer, and the
-- SQL interface for an external research agent.

-- Recompute the report fields that come from its artefacts: the count, the
-- newest priority and actionability judgments, the newest suggested
-- reviewers and the newest implementation PR.
CREATE FUNCTION @extschema@.refresh_artefact_fields(team_id bigint, report_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WITH artefacts AS (
        SELECT a.type, a.content, a.created_at, a.id
          FROM @extschema@.report_artefacts a
         WHERE a.team_id OPERATOR(pg_catalog.=) refresh_artefact_fields.team_id
           AND a.report_id OPERATOR(pg_catalog.=) refresh_artefact_fields.report_id),
    newest AS (
        SELECT DISTINCT ON (type) type, content
          FROM artefacts
         ORDER BY type, created_at DESC, id DESC),
    pr AS (
        SELECT content OPERATOR(pg_catalog.->>) 'pr_url' AS url
          FROM artefacts
         WHERE type OPERATOR(pg_catalog.=) 'task_run'
           AND coalesce(content OPERATOR(pg_catalog.->>) 'pr_url', '') OPERATOR(pg_catalog.<>) ''
         ORDER BY created_at DESC, id DESC
         LIMIT 1),
    judged AS (
        SELECT
            (SELECT content OPERATOR(pg_catalog.->>) 'priority' FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'priority_judgment') AS priority,
            (SELECT content OPERATOR(pg_catalog.->>) 'actionability' FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'actionability_judgment') AS actionability,
            (SELECT content OPERATOR(pg_catalog.->) 'already_addressed' FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'actionability_judgment') AS already_addressed,
            (SELECT content FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'suggested_reviewers') AS reviewers)
    UPDATE @extschema@.reports r
       SET artefact_count = (SELECT pg_catalog.count(*) FROM artefacts),
           priority = CASE WHEN j.priority OPERATOR(pg_catalog.=) ANY ('{P0,P1,P2,P3,P4}'::text[])
                           THEN j.priority END,
           actionability = CASE WHEN j.actionability OPERATOR(pg_catalog.=) ANY
                                     ('{immediately_actionable,requires_human_input,not_actionable}'::text[])
                                THEN j.actionability END,
           already_addressed = CASE WHEN pg_catalog.jsonb_typeof(j.already_addressed) OPERATOR(pg_catalog.=) 'boolean'
                                    THEN j.already_addressed::boolean END,
           suggested_reviewers = ARRAY(
               SELECT DISTINCT u.user_id
                 FROM pg_catalog.jsonb_array_elements(
                          CASE WHEN pg_catalog.jsonb_typeof(j.reviewers) OPERATOR(pg_catalog.=) 'array'
                               THEN j.reviewers ELSE '[]' END) e
                 JOIN @extschema@.users u
                   ON u.user_id::text OPERATOR(pg_catalog.=) pg_catalog.lower(e OPERATOR(pg_catalog.->>) 'user_uuid')
                   OR pg_catalog.lower(u.github_login) OPERATOR(pg_catalog.=) pg_catalog.lower(e OPERATOR(pg_catalog.->>) 'github_login')
                ORDER BY u.user_id),
           implementation_pr_url = (SELECT url FROM pr)
      FROM judged j
     WHERE r.team_id OPERATOR(pg_catalog.=) refresh_artefact_fields.team_id
       AND r.id OPERATOR(pg_catalog.=) refresh_artefact_fields.report_id;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh_artefact_fields(bigint, uuid) IS
'recompute artefact_count, priority, actionability, already_addressed, suggested_reviewers and implementation_pr_url of a report from its artefacts';

CREATE FUNCTION @extschema@.artefacts_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
        PERFORM @extschema@.refresh_artefact_fields(OLD.team_id, OLD.report_id);
    END IF;
    IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN
        PERFORM @extschema@.refresh_artefact_fields(NEW.team_id, NEW.report_id);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.artefacts_changed() IS
'trigger: keep a report''s artefact-derived fields in step with its artefacts, whoever writes them';

CREATE TRIGGER artefacts_changed
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.report_artefacts
    FOR EACH ROW EXECUTE FUNCTION @extschema@.artefacts_changed();

-- Write an artefact for a report (research agents, the summarizer, people).
CREATE FUNCTION @extschema@.add_artefact(team_id bigint, report_id uuid, type text, content jsonb)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    written @extschema@.report_artefacts;
BEGIN
    PERFORM @extschema@.live_report(team_id, report_id);
    PERFORM @extschema@.check_text_field('type', type, 100);
    IF content IS NULL THEN
        RAISE EXCEPTION 'content is required' USING ERRCODE = 'not_null_violation', COLUMN = 'content';
    END IF;
    IF type OPERATOR(pg_catalog.=) 'priority_judgment'
       AND coalesce(content OPERATOR(pg_catalog.->>) 'priority', '') OPERATOR(pg_catalog.<>) ALL ('{P0,P1,P2,P3,P4}'::text[]) THEN
        RAISE EXCEPTION 'a priority_judgment needs "priority": one of P0, P1, P2, P3, P4'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'content';
    END IF;
    IF type OPERATOR(pg_catalog.=) 'actionability_judgment'
       AND coalesce(content OPERATOR(pg_catalog.->>) 'actionability', '') OPERATOR(pg_catalog.<>) ALL
           ('{immediately_actionable,requires_human_input,not_actionable}'::text[]) THEN
        RAISE EXCEPTION 'an actionability_judgment needs "actionability": immediately_actionable, requires_human_input or not_actionable'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'content';
    END IF;
    IF type OPERATOR(pg_catalog.=) 'suggested_reviewers'
       AND (pg_catalog.jsonb_typeof(content) OPERATOR(pg_catalog.<>) 'array'
            OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(content) e
                        WHERE pg_catalog.jsonb_typeof(e) OPERATOR(pg_catalog.<>) 'object'
                           OR (e OPERATOR(pg_catalog.->>) 'github_login' IS NULL
                               AND e OPERATOR(pg_catalog.->>) 'user_uuid' IS NULL))) THEN
        RAISE EXCEPTION 'suggested_reviewers is a list of objects, each with a github_login, a user_uuid, or both'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'content';
    END IF;
    INSERT INTO @extschema@.report_artefacts (team_id, report_id, type, content)
    VALUES (add_artefact.team_id, add_artefact.report_id, add_artefact.type, add_artefact.content)
    RETURNING * INTO written;
    RETURN @extschema@.artefact_json(written);
END
$$;
COMMENT ON FUNCTION @extschema@.add_artefact(bigint, uuid, text, jsonb) IS
'write an artefact for a report; judgments and reviewer lists are checked, and the report''s derived fields follow';

-- The first line of a text that is not blank (by is_blank()'s whitespace),
-- trimmed and cut to max_chars; NULL when the whole text is blank.
CREATE FUNCTION @extschema@.first_line(value text, max_chars integer)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    line text := pg_catalog.btrim(pg_catalog.split_part(pg_catalog.ltrim(value, E' \t\n\r\x0B\f'), E'\n', 1),
                                  E' \t\r\x0B\f');
BEGIN
    IF line OPERATOR(pg_catalog.=) '' THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.length(line) OPERATOR(pg_catalog.>) max_chars THEN
        RETURN pg_catalog.rtrim(pg_catalog.left(line, max_chars OPERATOR(pg_catalog.-) 1)) OPERATOR(pg_catalog.||) '…';
    END IF;
    RETURN line;
END
$$;
COMMENT ON FUNCTION @extschema@.first_line(text, integer) IS
'the first non-blank line of a text, trimmed and cut to max_chars with an ellipsis; NULL for a blank text';

-- The built-in summarizer: research one candidate report without a model.
-- The title is the first line of its heaviest signal; the summary quotes the
-- first lines of its three heaviest distinct signals and counts its sources.
-- Scout severities become a priority judgment.
CREATE FUNCTION @extschema@.summarize_report(team_id bigint, report_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.report_transition(team_id, report_id, 'in_progress');
    new_title text;
    new_summary text;
    severity text;
BEGIN
    SELECT @extschema@.first_line(s.description, 200) INTO new_title
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) summarize_report.team_id
       AND s.report_id OPERATOR(pg_catalog.=) summarize_report.report_id
     ORDER BY s.weight DESC, s.id
     LIMIT 1;
    SELECT pg_catalog.string_agg(line, E'\n' ORDER BY w DESC, first_id)
      INTO new_summary
      FROM (SELECT @extschema@.first_line(s.description, 300) AS line,
                   pg_catalog.max(s.weight) AS w, pg_catalog.min(s.id::text) AS first_id
              FROM @extschema@.signals s
             WHERE s.team_id OPERATOR(pg_catalog.=) summarize_report.team_id
               AND s.report_id OPERATOR(pg_catalog.=) summarize_report.report_id
             GROUP BY 1
             ORDER BY 2 DESC, 3
             LIMIT 3) top;
    new_summary := coalesce(new_summary, '') OPERATOR(pg_catalog.||) pg_catalog.format(
        E'\n\n%s signal%s from %s.', r.signal_count,
        CASE WHEN r.signal_count OPERATOR(pg_catalog.=) 1 THEN '' ELSE 's' END,
        coalesce(nullif(pg_catalog.array_to_string(r.source_products, ', '), ''), 'unknown sources'));
    SELECT pg_catalog.min(s.extra OPERATOR(pg_catalog.->>) 'severity') INTO severity
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) summarize_report.team_id
       AND s.report_id OPERATOR(pg_catalog.=) summarize_report.report_id
       AND s.extra OPERATOR(pg_catalog.->>) 'severity' OPERATOR(pg_catalog.=) ANY ('{P0,P1,P2,P3,P4}'::text[]);
    IF severity IS NOT NULL THEN
        PERFORM @extschema@.add_artefact(team_id, report_id, 'priority_judgment',
            pg_catalog.jsonb_build_object('priority', severity,
                'explanation', 'the highest severity among the report''s scout findings',
                'dollar_value', NULL));
    END IF;
    PERFORM @extschema@.report_transition(team_id, report_id, 'ready',
                                          title => coalesce(new_title, 'Untitled report'),
                                          summary => new_summary);
END
$$;
COMMENT ON FUNCTION @extschema@.summarize_report(bigint, uuid) IS
'research a candidate report with the built-in extractive summarizer: candidate -> in_progress -> ready with a title, a summary and (from scout severities) a priority';

-- Summarize the team's candidates, oldest promotion first, when the team uses
-- the built-in summarizer; returns how many were summarized.
CREATE FUNCTION @extschema@.summarize_candidates(team_id bigint, max_reports integer DEFAULT 100)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    candidate_id uuid;
    done integer := 0;
    failure text;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.team_settings s
                    WHERE s.team_id OPERATOR(pg_catalog.=) summarize_candidates.team_id
                      AND s.research_mode OPERATOR(pg_catalog.=) 'builtin') THEN
        RETURN 0;
    END IF;
    FOR candidate_id IN
        SELECT r.id FROM @extschema@.reports r
         WHERE r.team_id OPERATOR(pg_catalog.=) summarize_candidates.team_id
           AND r.status OPERATOR(pg_catalog.=) 'candidate'
         ORDER BY r.promoted_at, r.id
         LIMIT coalesce(max_reports, 100)
           FOR UPDATE SKIP LOCKED
    LOOP
        BEGIN
            PERFORM @extschema@.summarize_report(team_id, candidate_id);
        EXCEPTION WHEN OTHERS THEN
            -- A report the summarizer cannot handle fails on its own (research
            -- started, then failed); the team's other candidates and the worker
            -- carry on.
            failure := SQLERRM;
            RAISE WARNING 'signals: summarizing report % of team % failed: %', candidate_id, team_id, failure;
            BEGIN
                PERFORM @extschema@.report_transition(team_id, candidate_id, 'in_progress');
                PERFORM @extschema@.report_transition(team_id, candidate_id, 'failed',
                                                      error => 'summarizer: ' OPERATOR(pg_catalog.||) failure);
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'signals: could not mark report % of team % failed: %', candidate_id, team_id, SQLERRM;
            END;
        END;
        done := done OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN done;
END
$$;
COMMENT ON FUNCTION @extschema@.summarize_candidates(bigint, integer) IS
'run the built-in summarizer over the team''s candidate reports (teams whose research_mode is builtin)';

-- External research: claim the oldest candidate (of one team, or of any team
-- when team_id is NULL) for an agent.  Returns the report with its signals,
-- or NULL when there is nothing to claim.  Agents LISTEN on signals_candidates,
-- whose notifications carry no payload (any role may LISTEN, so they name no
-- team), and claim on each one and on a timer.
CREATE FUNCTION @extschema@.claim_candidate(agent text, team_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    picked record;
BEGIN
    PERFORM @extschema@.check_text_field('agent', agent, 200);
    -- Two queries, so that each reads its own index of candidates
    -- (reports_candidates_idx, reports_candidates_all_teams_idx).
    IF claim_candidate.team_id IS NULL THEN
        SELECT r.team_id, r.id INTO picked
          FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'candidate'
         ORDER BY r.promoted_at, r.team_id, r.id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
    ELSE
        SELECT r.team_id, r.id INTO picked
          FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'candidate'
           AND r.team_id OPERATOR(pg_catalog.=) claim_candidate.team_id
         ORDER BY r.promoted_at, r.id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
    END IF;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM @extschema@.report_transition(picked.team_id, picked.id, 'in_progress', agent => agent);
    RETURN pg_catalog.row_to_json(x)
      FROM (SELECT picked.team_id,
                   @extschema@.report_signals(picked.team_id, picked.id) AS claimed) x;
END
$$;
COMMENT ON FUNCTION @extschema@.claim_candidate(text, bigint) IS
'claim the oldest candidate report for an external research agent (candidate -> in_progress); NULL when none is waiting';

-- External research: give back claims an agent has held too long (it died, or
-- lost its connection), so that the reports are candidates again.
CREATE FUNCTION @extschema@.release_stale_claims(max_age interval DEFAULT '1 hour')
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stale record;
    released integer := 0;
BEGIN
    FOR stale IN
        SELECT r.team_id, r.id FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'in_progress'
           AND r.claimed_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) max_age)
         ORDER BY r.claimed_at, r.team_id, r.id
           FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM @extschema@.report_transition(stale.team_id, stale.id, 'candidate');
        released := released OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN released;
END
$$;
COMMENT ON FUNCTION @extschema@.release_stale_claims(interval) IS
'move reports claimed by an external agent longer than max_age ago back to candidate; returns how many';

-- External research: record the outcome of a claimed report.
CREATE FUNCTION @extschema@.finish_research(
    team_id bigint,
    report_id uuid,
    outcome text,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports;
BEGIN
    IF outcome IS NULL OR outcome OPERATOR(pg_catalog.<>) ALL
       ('{ready,pending_input,failed,not_actionable,candidate}'::text[]) THEN
        RAISE EXCEPTION 'outcome must be ready, pending_input, failed, not_actionable or candidate'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'outcome';
    END IF;
    r := @extschema@.live_report(team_id, report_id, true);
    IF r.status OPERATOR(pg_catalog.<>) 'in_progress' THEN
        RAISE EXCEPTION 'the report is %, not in_progress', r.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF outcome OPERATOR(pg_catalog.=) 'not_actionable' THEN
        -- Back to potential with its weight reset: it must earn promotion again.
        r := @extschema@.report_transition(team_id, report_id, 'potential', title => title, summary => summary,
                                           weight_reset => true);
    ELSE
        r := @extschema@.report_transition(team_id, report_id, outcome,
                                           title => title, summary => summary, error => error);
    END IF;
    RETURN @extschema@.report_json(r, NULL);
END
$$;
COMMENT ON FUNCTION @extschema@.finish_research(bigint, uuid, text, text, text, text) IS
'finish research of an in-progress report: ready (needs title and summary), pending_input, failed, not_actionable (back to potential, weight reset) or candidate (released)';
