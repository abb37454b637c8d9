-- Emitting signals: from applications (emit_signal) and from scout runs
-- (scout_emit, the emit-signal route).  Both validate, apply the gates, and
-- queue the signal through enqueue_signal; the worker groups it later.

-- Wake the background workers once the current transaction commits.
CREATE FUNCTION @extschema@.wake_worker()
RETURNS void
AS 'MODULE_PATHNAME', 'signals_wake_worker'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wake_worker() IS
'ask the background workers to look at the queues as soon as this transaction commits (no-op without the preloaded library)';

-- Why no background worker will group a signal queued in this database, or
-- NULL when one will (or when signals.warn_unserved_emits is off).
CREATE FUNCTION @extschema@.unserved_queue_warning()
RETURNS text
AS 'MODULE_PATHNAME', 'signals_unserved_queue_warning'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.unserved_queue_warning() IS
'a sentence saying why no background worker groups the signals queued in this database (library not preloaded, no workers, workers serving another database), or NULL when they are grouped or signals.warn_unserved_emits is off';

-- An emit's answer with the unserved-queue warning added as its last field
-- (only when there is one, so that the usual answer keeps its shape).
CREATE FUNCTION @extschema@.emit_answer(answer json, warning text)
RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN $2 IS NULL THEN $1
                ELSE (pg_catalog.left(pg_catalog.rtrim($1::text), -1)
                      OPERATOR(pg_catalog.||) ',"warning":'
                      OPERATOR(pg_catalog.||) pg_catalog.to_json($2)::text
                      OPERATOR(pg_catalog.||) '}')::json END
$$;
COMMENT ON FUNCTION @extschema@.emit_answer(json, text) IS
'an emit''s JSON answer with a "warning" field appended when warning is not NULL';

-- Raise the API's validation error unless value is in [0, 1].
CREATE FUNCTION @extschema@.check_unit_interval(field text, value double precision)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NOT NULL AND NOT (value OPERATOR(pg_catalog.>=) 0 AND value OPERATOR(pg_catalog.<=) 1) THEN
        RAISE EXCEPTION '% must be between 0 and 1, got %', field, value
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = field;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_unit_interval(text, double precision) IS
'raise the API''s validation error unless the value lies in [0, 1]';

-- Raise the API's validation error unless the dedupe keys are usable.
CREATE FUNCTION @extschema@.check_dedupe_keys(dedupe_keys text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF pg_catalog.cardinality(dedupe_keys) OPERATOR(pg_catalog.>) 50 THEN
        RAISE EXCEPTION 'dedupe_keys has % entries, max is 50', pg_catalog.cardinality(dedupe_keys)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'dedupe_keys';
    END IF;
    FOREACH k IN ARRAY coalesce(dedupe_keys, '{}') LOOP
        IF k IS NULL OR @extschema@.is_blank(k) THEN
            RAISE EXCEPTION 'dedupe_keys may not hold blank keys'
                USING ERRCODE = 'zero_length_character_string', COLUMN = 'dedupe_keys';
        END IF;
        IF pg_catalog.length(k) OPERATOR(pg_catalog.>) 200 THEN
            RAISE EXCEPTION 'a dedupe key has % characters, max is 200', pg_catalog.length(k)
                USING ERRCODE = 'string_data_right_truncation', COLUMN = 'dedupe_keys';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.check_dedupe_keys(text[]) IS
'raise the API''s validation error unless there are at most 50 dedupe keys, each 1..200 characters';

-- Queue a validated signal.  An application signal repeating (product, type,
-- source id) is not stored again: inserted is false and signal_id names the
-- signal already stored.
CREATE FUNCTION @extschema@.enqueue_signal(
    team_id bigint,
    source_product text,
    source_type text,
    source_id text,
    description text,
    weight double precision,
    extra jsonb,
    dedupe_keys text[],
    run_id uuid,
    OUT signal_id uuid,
    OUT inserted boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    warning text;
BEGIN
    IF enqueue_signal.run_id IS NULL THEN
        INSERT INTO @extschema@.signals AS s
            (team_id, source_product, source_type, source_id, description, weight, extra, dedupe_keys)
        VALUES (enqueue_signal.team_id, enqueue_signal.source_product, enqueue_signal.source_type,
                enqueue_signal.source_id, enqueue_signal.description, enqueue_signal.weight,
                enqueue_signal.extra, enqueue_signal.dedupe_keys)
        ON CONFLICT (team_id, source_product, source_type, source_id) WHERE run_id IS NULL DO NOTHING
        RETURNING s.id INTO signal_id;
        inserted := FOUND;
        IF NOT inserted THEN
            SELECT s.id INTO signal_id
              FROM @extschema@.signals s
             WHERE s.team_id OPERATOR(pg_catalog.=) enqueue_signal.team_id
               AND s.source_product OPERATOR(pg_catalog.=) enqueue_signal.source_product
               AND s.source_type OPERATOR(pg_catalog.=) enqueue_signal.source_type
               AND s.source_id OPERATOR(pg_catalog.=) enqueue_signal.source_id
               AND s.run_id IS NULL;
            RETURN;
        END IF;
    ELSE
        INSERT INTO @extschema@.signals AS s
            (team_id, source_product, source_type, source_id, description, weight, extra, dedupe_keys, run_id)
        VALUES (enqueue_signal.team_id, enqueue_signal.source_product, enqueue_signal.source_type,
                enqueue_signal.source_id, enqueue_signal.description, enqueue_signal.weight,
                enqueue_signal.extra, enqueue_signal.dedupe_keys, enqueue_signal.run_id)
        RETURNING s.id INTO signal_id;
        inserted := true;
    END IF;
    PERFORM @extschema@.wake_worker();
    warning := @extschema@.unserved_queue_warning();
    IF warning IS NOT NULL THEN
        RAISE NOTICE 'signal queued in database "%", where no background worker groups signals', pg_catalog.current_database()
            USING DETAIL = warning,
                  HINT = 'Set signals.database to this database and restart, or drain the queue with signals.process_pending() (from pg_cron, say) and set signals.warn_unserved_emits = off.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.enqueue_signal(bigint, text, text, text, text, double precision, jsonb, text[], uuid) IS
'store a validated signal in its team''s queue and wake the workers (with a NOTICE when no worker serves this database); application signals are stored once per (product, type, source id)';

-- Why an emit from this source would be skipped right now, or NULL.
CREATE FUNCTION @extschema@.emit_gate(team_id bigint, source_product text, source_type text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT coalesce((SELECT s.ai_processing_approved FROM @extschema@.team_settings s
                      WHERE s.team_id OPERATOR(pg_catalog.=) emit_gate.team_id), false) THEN
        RETURN 'ai_processing_not_approved';
    END IF;
    IF EXISTS (SELECT FROM @extschema@.source_configs c
                WHERE c.team_id OPERATOR(pg_catalog.=) emit_gate.team_id
                  AND c.source_product OPERATOR(pg_catalog.=) emit_gate.source_product
                  AND c.source_type OPERATOR(pg_catalog.=) emit_gate.source_type
                  AND NOT c.enabled) THEN
        RETURN 'source_disabled';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.emit_gate(bigint, text, text) IS
'the skipped_reason for an emit from this source (AI processing not approved, or source config disabled), or NULL when it may proceed';

-- Emit a signal from an application.
CREATE FUNCTION @extschema@.emit_signal(
    team_id bigint,
    source_product text,
    source_type text,
    source_id text,
    description text,
    weight double precision DEFAULT 1.0,
    extra jsonb DEFAULT '{}',
    dedupe_keys text[] DEFAULT '{}')
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    gate text;
    queued record;
BEGIN
    PERFORM @extschema@.check_source(source_product, source_type);
    PERFORM @extschema@.check_text_field('source_id', source_id, 500);
    PERFORM @extschema@.check_text_field('description', description, 50000);
    PERFORM @extschema@.check_unit_interval('weight', weight);
    IF extra IS NOT NULL AND pg_catalog.jsonb_typeof(extra) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'extra';
    END IF;
    PERFORM @extschema@.check_dedupe_keys(dedupe_keys);

    gate := @extschema@.emit_gate(team_id, source_product, source_type);
    IF gate IS NOT NULL THEN
        RETURN pg_catalog.row_to_json(r)
          FROM (SELECT false AS emitted, NULL::uuid AS signal_id, gate AS skipped_reason) r;
    END IF;

    queued := @extschema@.enqueue_signal(team_id, source_product, source_type, source_id, description,
                                         coalesce(weight, 1.0), coalesce(extra, '{}'),
                                         coalesce(dedupe_keys, '{}'), NULL);
    RETURN @extschema@.emit_answer(
               pg_catalog.row_to_json(r),
               CASE WHEN queued.inserted THEN @extschema@.unserved_queue_warning() END)
      FROM (SELECT queued.inserted AS emitted, queued.signal_id,
                   CASE WHEN NOT queued.inserted THEN 'duplicate' END AS skipped_reason) r;
END
$$;
COMMENT ON FUNCTION @extschema@.emit_signal(bigint, text, text, text, text, double precision, jsonb, text[]) IS
'emit a signal from an application: validated, queued for grouping when the caller commits, skipped (with a reason) when AI processing is not approved, the source is disabled, or the same (product, type, source id) was already emitted; a "warning" field says when no background worker serves this database';

CREATE TYPE @extschema@.api_emit AS (finding_id text, emitted boolean, skipped_reason text);
COMMENT ON TYPE @extschema@.api_emit IS
'the JSON shape of POST scout/runs/:id/emit-signal/ (followed by a "warning" field when no background worker serves the database)';

-- POST scout/runs/:id/emit-signal/: emit a finding of an in-progress scout run.
CREATE FUNCTION @extschema@.scout_emit(
    team_id bigint,
    run_id uuid,
    description text,
    weight double precision DEFAULT NULL,
    confidence double precision DEFAULT NULL,
    evidence jsonb DEFAULT NULL,
    hypothesis text DEFAULT NULL,
    severity text DEFAULT NULL,
    dedupe_keys text[] DEFAULT NULL,
    time_range jsonb DEFAULT NULL,
    mcp_trace_id text DEFAULT NULL,
    finding_id text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run @extschema@.scout_runs;
    config @extschema@.scout_configs;
    gate text;
    i integer;
    queued record;
BEGIN
    SELECT * INTO run
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_emit.run_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'scout run not found' USING ERRCODE = 'no_data_found';
    END IF;
    IF run.status OPERATOR(pg_catalog.<>) 'in_progress' THEN
        RAISE EXCEPTION 'findings can only be emitted on in-progress runs (current: %)', run.status
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
    END IF;

    PERFORM @extschema@.check_text_field('description', description, 50000);
    PERFORM @extschema@.check_unit_interval('weight', weight);
    PERFORM @extschema@.check_unit_interval('confidence', confidence);
    IF evidence IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(evidence) OPERATOR(pg_catalog.<>) 'array' THEN
            RAISE EXCEPTION 'evidence must be a JSON array'
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'evidence';
        END IF;
        IF pg_catalog.jsonb_array_length(evidence) OPERATOR(pg_catalog.>) 20 THEN
            RAISE EXCEPTION 'evidence has % entries, max is 20', pg_catalog.jsonb_array_length(evidence)
                USING ERRCODE = 'string_data_right_truncation', COLUMN = 'evidence';
        END IF;
        FOR i IN 0 .. pg_catalog.jsonb_array_length(evidence) OPERATOR(pg_catalog.-) 1 LOOP
            IF pg_catalog.jsonb_typeof(evidence OPERATOR(pg_catalog.->) i) OPERATOR(pg_catalog.<>) 'object' THEN
                RAISE EXCEPTION 'evidence[%] must be a JSON object', i
                    USING ERRCODE = 'invalid_parameter_value', COLUMN = 'evidence';
            END IF;
        END LOOP;
    END IF;
    IF hypothesis IS NOT NULL AND pg_catalog.length(hypothesis) OPERATOR(pg_catalog.>) 10000 THEN
        RAISE EXCEPTION 'hypothesis has % characters, max is 10000', pg_catalog.length(hypothesis)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'hypothesis';
    END IF;
    IF severity IS NOT NULL AND severity OPERATOR(pg_catalog.<>) ALL ('{P0,P1,P2,P3,P4}'::text[]) THEN
        RAISE EXCEPTION '"%" is not a valid severity', pg_catalog.left(severity, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'severity',
                  HINT = 'Severity is one of P0, P1, P2, P3, P4.';
    END IF;
    PERFORM @extschema@.check_dedupe_keys(dedupe_keys);
    IF time_range IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(time_range OPERATOR(pg_catalog.->) 'date_from') IS DISTINCT FROM 'string'
           OR pg_catalog.jsonb_typeof(time_range OPERATOR(pg_catalog.->) 'date_to') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'time_range must have string fields date_from and date_to'
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'time_range';
        END IF;
    END IF;
    IF mcp_trace_id IS NOT NULL AND pg_catalog.length(mcp_trace_id) OPERATOR(pg_catalog.>) 200 THEN
        RAISE EXCEPTION 'mcp_trace_id has % characters, max is 200', pg_catalog.length(mcp_trace_id)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'mcp_trace_id';
    END IF;
    IF finding_id IS NULL OR @extschema@.is_blank(finding_id) THEN
        finding_id := pg_catalog.gen_random_uuid()::text;
    ELSIF pg_catalog.length(finding_id) OPERATOR(pg_catalog.>) 100 THEN
        RAISE EXCEPTION 'finding_id has % characters, max is 100', pg_catalog.length(finding_id)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'finding_id';
    END IF;

    -- The preflight gates, in order; a skipped emit writes nothing.
    SELECT * INTO config
      FROM @extschema@.scout_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND c.id OPERATOR(pg_catalog.=) run.scout_config_id;
    IF NOT FOUND THEN
        gate := 'scout_config_missing';
    ELSIF NOT config.emit THEN
        gate := 'scout_emit_disabled';
    ELSE
        gate := @extschema@.emit_gate(team_id, 'signals_scout', 'cross_source_issue');
    END IF;
    IF gate IS NOT NULL THEN
        RETURN pg_catalog.row_to_json(ROW(finding_id, false, gate)::@extschema@.api_emit);
    END IF;

    queued := @extschema@.enqueue_signal(
        team_id, 'signals_scout', 'cross_source_issue',
        pg_catalog.format('run:%s:finding:%s', run_id, finding_id),
        description, coalesce(weight, 1.0),
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'scout_run_id', run_id, 'finding_id', finding_id,
            'skill_name', run.skill_name, 'skill_version', run.skill_version,
            'confidence', confidence, 'evidence', coalesce(evidence, '[]'),
            'hypothesis', hypothesis, 'severity', severity, 'dedupe_keys', dedupe_keys,
            'time_range', time_range, 'mcp_trace_id', mcp_trace_id)),
        coalesce(dedupe_keys, '{}'), run_id);
    UPDATE @extschema@.scout_runs r
       SET emitted_count = r.emitted_count OPERATOR(pg_catalog.+) 1,
           emitted_finding_ids = r.emitted_finding_ids OPERATOR(pg_catalog.||) scout_emit.finding_id
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_emit.run_id;
    RETURN @extschema@.emit_answer(pg_catalog.row_to_json(ROW(finding_id, true, NULL)::@extschema@.api_emit),
                                   @extschema@.unserved_queue_warning());
END
$$;
COMMENT ON FUNCTION @extschema@.scout_emit(bigint, uuid, text, double precision, double precision, jsonb, text, text, text[], jsonb, text, text) IS
'emit a finding of an in-progress scout run as a signals_scout/cross_source_issue signal; not idempotent: every call emits; a "warning" field says when no background worker serves this database';
