-- The data model of the pipeline: processing state, source and scout
-- configuration, scout runs, signals (with their queue state), reports and
-- their artefacts, the scout scratchpad and the project profile cache.
-- team_id leads every key so that tables can be distributed by team.

CREATE TABLE @extschema@.processing_state (
    team_id       bigint PRIMARY KEY REFERENCES @extschema@.teams ON DELETE CASCADE,
    paused_until  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.processing_state IS
'per-team processing state: while now() < paused_until, the team''s signals are queued but not grouped';

-- The known source products and types are data: add rows to extend them.
CREATE TABLE @extschema@.source_products (
    source_product  text PRIMARY KEY,
    builtin         boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.source_products IS
'source products a source config or signal may name; insert rows to add more';
INSERT INTO @extschema@.source_products (source_product, builtin)
SELECT p, true
  FROM pg_catalog.unnest('{session_replay,llm_analytics,github,linear,jira,zendesk,conversations,error_tracking,endpoints,pganalyze,signals_scout}'::text[]) p;

CREATE TABLE @extschema@.source_types (
    source_type  text PRIMARY KEY,
    builtin      boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.source_types IS
'source types a source config or signal may name; insert rows to add more';
INSERT INTO @extschema@.source_types (source_type, builtin)
SELECT t, true
  FROM pg_catalog.unnest('{session_analysis_cluster,evaluation,issue,ticket,issue_created,issue_reopened,issue_spiking,cross_source_issue}'::text[]) t;

CREATE TABLE @extschema@.source_configs (
    team_id         bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    source_product  text NOT NULL REFERENCES @extschema@.source_products,
    source_type     text NOT NULL REFERENCES @extschema@.source_types,
    enabled         boolean NOT NULL DEFAULT true,
    config          jsonb NOT NULL DEFAULT '{}'
                    CHECK (pg_catalog.jsonb_typeof(config) OPERATOR(pg_catalog.=) 'object'),
    status          text,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, id),
    CONSTRAINT source_configs_source_key UNIQUE (team_id, source_product, source_type)
);
CREATE INDEX source_configs_updated_idx
    ON @extschema@.source_configs (team_id, updated_at DESC, id DESC);
COMMENT ON TABLE @extschema@.source_configs IS
'per-team configuration of a signal source; a disabled source''s emits are skipped';
COMMENT ON COLUMN @extschema@.source_configs.status IS
'read-only through the API: the state of the source''s data import, set by the host application';

CREATE TABLE @extschema@.scout_configs (
    team_id       bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    skill_name    text NOT NULL CHECK (pg_catalog.length(skill_name) OPERATOR(pg_catalog.<=) 200),
    enabled       boolean NOT NULL DEFAULT true,
    emit          boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, id),
    CONSTRAINT scout_configs_skill_key UNIQUE (team_id, skill_name)
);
COMMENT ON TABLE @extschema@.scout_configs IS
'a scout skill configured for a team; emit = false makes its runs a dry run';

CREATE TABLE @extschema@.scout_runs (
    team_id              bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    scout_config_id      uuid,
    skill_name           text NOT NULL,
    skill_version        integer NOT NULL DEFAULT 1,
    status               text NOT NULL DEFAULT 'not_started'
                         CHECK (status OPERATOR(pg_catalog.=) ANY
                                ('{not_started,queued,in_progress,completed,failed,cancelled}'::text[])),
    task_id              text,
    task_run_id          text,
    summary              text NOT NULL DEFAULT '',
    error                text,
    emitted_count        integer NOT NULL DEFAULT 0,
    emitted_finding_ids  text[] NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at           timestamptz,
    completed_at         timestamptz,
    PRIMARY KEY (team_id, id),
    FOREIGN KEY (team_id, scout_config_id)
        REFERENCES @extschema@.scout_configs (team_id, id) ON DELETE SET NULL (scout_config_id)
);
CREATE INDEX scout_runs_created_idx
    ON @extschema@.scout_runs (team_id, created_at DESC, id DESC);
CREATE INDEX scout_runs_summary_trgm_idx
    ON @extschema@.scout_runs USING gin (team_id, summary gin_trgm_ops);
COMMENT ON TABLE @extschema@.scout_runs IS
'one run of a scout skill: its status and timing, summary, and the findings it emitted';

CREATE TABLE @extschema@.reports (
    team_id                    bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id                         uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    title                      text NOT NULL DEFAULT '',
    summary                    text NOT NULL DEFAULT '',
    status                     text NOT NULL DEFAULT 'potential'
                               CHECK (status OPERATOR(pg_catalog.=) ANY
                                      ('{potential,candidate,in_progress,pending_input,ready,resolved,failed,suppressed,deleted}'::text[])),
    status_before_suppression  text,
    error                      text,
    total_weight               double precision NOT NULL DEFAULT 0,
    signal_count               integer NOT NULL DEFAULT 0,
    signals_at_run             integer NOT NULL DEFAULT 0,
    run_count                  integer NOT NULL DEFAULT 0,
    created_at                 timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at                 timestamptz NOT NULL DEFAULT pg_catalog.now(),
    promoted_at                timestamptz,
    claimed_by                 text,
    claimed_at                 timestamptz,
    -- Kept by the artefact and grouping code, so that lists sort and filter
    -- on plain columns instead of per-row subqueries.
    artefact_count             integer NOT NULL DEFAULT 0,
    priority                   text CHECK (priority OPERATOR(pg_catalog.=) ANY ('{P0,P1,P2,P3,P4}'::text[])),
    actionability              text CHECK (actionability OPERATOR(pg_catalog.=) ANY
                                      ('{immediately_actionable,requires_human_input,not_actionable}'::text[])),
    already_addressed          boolean,
    suggested_reviewers        uuid[] NOT NULL DEFAULT '{}',
    implementation_pr_url      text,
    source_products            text[] NOT NULL DEFAULT '{}',
    -- Sort keys of the inbox (SPEC.md "ordering"): the pipeline rank of the
    -- status, and P0..P4 with unjudged last.
    status_rank                smallint NOT NULL GENERATED ALWAYS AS (
        CASE status
            WHEN 'ready' THEN CASE WHEN actionability IS NOT DISTINCT FROM 'not_actionable' THEN 1 ELSE 0 END
            WHEN 'pending_input' THEN 2
            WHEN 'in_progress' THEN 3
            WHEN 'candidate' THEN 4
            WHEN 'potential' THEN 5
            WHEN 'failed' THEN 6
            WHEN 'resolved' THEN 7
            WHEN 'suppressed' THEN 8
            ELSE 9
        END) STORED,
    priority_rank              smallint NOT NULL GENERATED ALWAYS AS (
        CASE priority WHEN 'P0' THEN 0 WHEN 'P1' THEN 1 WHEN 'P2' THEN 2
                      WHEN 'P3' THEN 3 WHEN 'P4' THEN 4 ELSE 5 END) STORED,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX reports_inbox_idx
    ON @extschema@.reports (team_id, status_rank, updated_at DESC, id);
CREATE INDEX reports_title_trgm_idx
    ON @extschema@.reports USING gin (team_id, title gin_trgm_ops);
CREATE INDEX reports_summary_trgm_idx
    ON @extschema@.reports USING gin (team_id, summary gin_trgm_ops);
CREATE INDEX reports_source_products_idx
    ON @extschema@.reports USING gin (team_id, source_products);
CREATE INDEX reports_suggested_reviewers_idx
    ON @extschema@.reports USING gin (team_id, suggested_reviewers);
CREATE INDEX reports_created_idx
    ON @extschema@.reports (team_id, created_at DESC, id);
-- Priority changes only with a new judgment, so this index costs grouping
-- nothing; total_weight and signal_count change with every signal and have none.
CREATE INDEX reports_priority_idx
    ON @extschema@.reports (team_id, priority_rank, id);
COMMENT ON TABLE @extschema@.reports IS
'a group of related signals, worked through the inbox states from potential to ready or resolved';


CREATE TABLE @extschema@.report_artefacts (
    team_id     bigint NOT NULL,
    id          uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    report_id   uuid NOT NULL,
    type        text NOT NULL CHECK (pg_catalog.length(type) OPERATOR(pg_catalog.<=) 100),
    content     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, id),
    FOREIGN KEY (team_id, report_id)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE CASCADE
);
CREATE INDEX report_artefacts_report_idx
    ON @extschema@.report_artefacts (team_id, report_id, created_at DESC, id DESC);
COMMENT ON TABLE @extschema@.report_artefacts IS
'what research produced for a report: judgments (priority, actionability), suggested reviewers, task runs, notes';

CREATE TABLE @extschema@.signals (
    team_id         bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    source_product  text NOT NULL,
    source_type     text NOT NULL,
    source_id       text NOT NULL,
    description     text NOT NULL,
    weight          double precision NOT NULL
                    CHECK (weight OPERATOR(pg_catalog.>=) 0 AND weight OPERATOR(pg_catalog.<=) 1),
    extra           jsonb NOT NULL DEFAULT '{}',
    dedupe_keys     text[] NOT NULL DEFAULT '{}',
    run_id          uuid,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- Queue state: NULL until a worker has grouped the signal.
    grouped_at      timestamptz,
    report_id       uuid,
    match_method    text,
    match_score     real,
    match_detail    jsonb,
    PRIMARY KEY (team_id, id),
    FOREIGN KEY (team_id, report_id)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE SET NULL (report_id)
);
CREATE UNIQUE INDEX signals_source_key
    ON @extschema@.signals (team_id, source_product, source_type, source_id)
    WHERE run_id IS NULL;
CREATE INDEX signals_queue_idx
    ON @extschema@.signals (team_id, id)
    WHERE grouped_at IS NULL;
CREATE INDEX signals_report_idx
    ON @extschema@.signals (team_id, report_id, id);
COMMENT ON TABLE @extschema@.signals IS
'a finding from a product, monitor or scout; queued on arrival, then grouped into a report';
COMMENT ON COLUMN @extschema@.signals.grouped_at IS
'NULL while the signal waits in its team''s queue';

CREATE TABLE @extschema@.scratchpad (
    team_id            bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    key                text NOT NULL
                       CHECK (pg_catalog.length(key) OPERATOR(pg_catalog.<=) 300
                              AND pg_catalog.btrim(key) OPERATOR(pg_catalog.<>) ''),
    content            text NOT NULL
                       CHECK (pg_catalog.length(content) OPERATOR(pg_catalog.<=) 50000
                              AND pg_catalog.btrim(content) OPERATOR(pg_catalog.<>) ''),
    created_by_run_id  uuid,
    created_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, key)
);
CREATE INDEX scratchpad_updated_idx
    ON @extschema@.scratchpad (team_id, updated_at DESC, key DESC);
CREATE INDEX scratchpad_key_trgm_idx
    ON @extschema@.scratchpad USING gin (team_id, key gin_trgm_ops);
CREATE INDEX scratchpad_content_trgm_idx
    ON @extschema@.scratchpad USING gin (team_id, content gin_trgm_ops);
COMMENT ON TABLE @extschema@.scratchpad IS
'the scouts'' memory: one entry per (team, key), upserted by scout runs';

CREATE TABLE @extschema@.project_profiles (
    team_id         bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    source_version  text NOT NULL,
    payload         json NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX project_profiles_computed_idx
    ON @extschema@.project_profiles (team_id, computed_at DESC, id DESC);
COMMENT ON TABLE @extschema@.project_profiles IS
'cached project profiles, newest first; the payload is json (not jsonb) to keep its key order byte for byte';
