/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The background workers that drain the signal queues, and the latch
 *	  wake-up that brings them to new signals at once.
 *
 * Each worker connects to signals.database and loops: one transaction per
 * step, calling signals.process_next_team(), which locks one unpaused team
 * with queued signals (SKIP LOCKED, so workers take different teams),
 * groups a batch of its signals in arrival order and summarizes its new
 * candidates.  A crash loses nothing: a step either commits or leaves its
 * signals queued.  When no team is ready the worker sleeps on its latch for
 * signals.naptime; an emit sets the latches when its transaction commits.
 *
 * The workers give way to everyone else: every step runs with a short lock
 * timeout, a short deadlock timeout and a statement timeout from its first
 * statement, so a DBA's REINDEX or LOCK TABLE makes a step fail (logged),
 * and the worker retries later with a growing pause.  Worker 1 also prunes
 * the grouping index, one team per transaction.  The workers idle while the
 * extension is missing, while its schema is of another version than this
 * library (until ALTER EXTENSION signals UPDATE), and while a restore loads
 * data (restore.c); a missing database is waited for, not retried.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/bgworker_internals.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "signals.h"

#define MAX_WORKERS 8

/*
 * How a worker step gives way: it waits at most this long for a lock, runs
 * the deadlock check this early (the process that finds a deadlock is the
 * one that fails, so the worker, not a DBA's command, is the victim), and
 * gives up on a step after the statement timeout.
 */
#define WORKER_LOCK_TIMEOUT "1s"
#define WORKER_DEADLOCK_TIMEOUT "100ms"
#define WORKER_STATEMENT_TIMEOUT_MS (5 * 60 * 1000)
/* After a failed step, the pause before the next one doubles up to this. */
#define WORKER_MAX_BACKOFF_MS (60 * 1000)

/* Shared state: the latches of the running workers. */
typedef struct WorkerShared
{
	slock_t		mutex;
	Latch	   *latches[MAX_WORKERS];
	/* a worker's last attempt to connect did not come back (FATAL) */
	bool		connecting[MAX_WORKERS];
} WorkerShared;

static WorkerShared *worker_shared = NULL;

/* GUCs */
static char *worker_database = NULL;
static int	worker_count = 1;
static int	worker_naptime_ms = 1000;
static int	worker_batch_size = 500;
static int	worker_prune_interval_s = 86400;
static bool warn_unserved_emits = true;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Whether this transaction asked to wake the workers at commit. */
static bool wake_at_commit = false;
static bool xact_callback_registered = false;

/* This worker's number (1..signals.workers) and its memory across steps. */
static int	worker_number = 0;
static MemoryContext worker_context = NULL;

/* What a step found. */
typedef enum StepOutcome
{
	STEP_WORKED,				/* grouped a team's batch */
	STEP_NOTHING,				/* no team ready after the cursor */
	STEP_NO_EXTENSION,			/* the extension is not installed */
	STEP_OTHER_VERSION,			/* the schema is not this library's version */
	STEP_RESTORING				/* a restore is loading data */
} StepOutcome;

/* The last outcome that was logged, so that each state is said once. */
static StepOutcome logged_outcome = STEP_NOTHING;

/* The version of the extension in the worker's database, as last read. */
static char schema_version[64];

PGDLLEXPORT void signals_worker_main(Datum main_arg);

static void
worker_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WorkerShared)));
}

static void
worker_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_shared = ShmemInitStruct("signals workers", sizeof(WorkerShared), &found);
	if (!found)
	{
		SpinLockInit(&worker_shared->mutex);
		memset(worker_shared->latches, 0, sizeof(worker_shared->latches));
		memset(worker_shared->connecting, 0, sizeof(worker_shared->connecting));
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Set the latch of every running worker. */
static void
wake_workers(void)
{
	Latch	   *latches[MAX_WORKERS];

	if (worker_shared == NULL)
		return;
	SpinLockAcquire(&worker_shared->mutex);
	memcpy(latches, worker_shared->latches, sizeof(latches));
	SpinLockRelease(&worker_shared->mutex);
	for (int i = 0; i < MAX_WORKERS; i++)
		if (latches[i] != NULL)
			SetLatch(latches[i]);
}

static void
wake_on_commit(XactEvent event, void *arg)
{
	if (!wake_at_commit)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		wake_at_commit = false;
		wake_workers();
	}
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		wake_at_commit = false;
}

/* signals.wake_worker(): wake the workers when this transaction commits. */
PG_FUNCTION_INFO_V1(signals_wake_worker);
Datum
signals_wake_worker(PG_FUNCTION_ARGS)
{
	if (worker_shared != NULL)
	{
		if (!xact_callback_registered)
		{
			RegisterXactCallback(wake_on_commit, NULL);
			xact_callback_registered = true;
		}
		wake_at_commit = true;
	}
	PG_RETURN_VOID();
}

/*
 * signals.unserved_queue_warning(): why no background worker will group a
 * signal queued in this database (a sentence), or NULL when one will, or
 * when the warning is turned off (signals.warn_unserved_emits).
 */
PG_FUNCTION_INFO_V1(signals_unserved_queue_warning);
Datum
signals_unserved_queue_warning(PG_FUNCTION_ARGS)
{
	const char *here;

	if (!warn_unserved_emits)
		PG_RETURN_NULL();
	if (worker_shared == NULL)
		PG_RETURN_TEXT_P(cstring_to_text("No signals background worker runs: the signals library is not in shared_preload_libraries."));
	if (worker_count == 0)
		PG_RETURN_TEXT_P(cstring_to_text("No signals background worker runs: signals.workers is 0."));
	here = get_database_name(MyDatabaseId);
	if (here == NULL || strcmp(here, worker_database) != 0)
		PG_RETURN_TEXT_P(cstring_to_text(psprintf("The signals background workers serve database \"%s\" (signals.database), not \"%s\".",
												  worker_database, here ? here : "?")));
	PG_RETURN_NULL();
}

/* Take this worker's slot for its latch. */
static void
register_latch(void)
{
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->latches[worker_number - 1] = MyLatch;
	SpinLockRelease(&worker_shared->mutex);
}

static void
unregister_latch(int code, Datum arg)
{
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->latches[worker_number - 1] = NULL;
	SpinLockRelease(&worker_shared->mutex);
}

/*
 * Begin a worker transaction with an SPI connection and a snapshot, its
 * statement timeout running from here: before the step's first statement.
 */
static void
begin_work(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	enable_timeout_after(STATEMENT_TIMEOUT, WORKER_STATEMENT_TIMEOUT_MS);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
end_work(void)
{
	SPI_finish();
	PopActiveSnapshot();
	disable_timeout(STATEMENT_TIMEOUT, false);
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * After an error in a transaction begun by begin_work: roll it back and log
 * one warning saying what failed.  Called in PG_CATCH.
 */
static void
fail_work(const char *what)
{
	ErrorData  *edata;

	HOLD_INTERRUPTS();
	MemoryContextSwitchTo(worker_context);
	what = pstrdup(what);		/* the abort frees the transaction's memory */
	edata = CopyErrorData();
	FlushErrorState();
	disable_timeout(STATEMENT_TIMEOUT, false);
	AbortCurrentTransaction();
	RESUME_INTERRUPTS();
	pgstat_report_activity(STATE_IDLE, NULL);
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("signals worker %d: %s failed: %s", worker_number, what, edata->message)));
	FreeErrorData(edata);
	pfree((char *) what);
}

/* Log a change of what the steps find, once per change (worker 1 only). */
static void
log_outcome(StepOutcome outcome)
{
	StepOutcome previous = logged_outcome;

	if (outcome == STEP_WORKED)
		outcome = STEP_NOTHING;		/* both are normal operation */
	if (outcome == previous)
		return;
	logged_outcome = outcome;
	if (worker_number != 1)
		return;
	if (outcome == STEP_OTHER_VERSION)
		ereport(LOG,
				(errmsg("signals workers wait: the signals extension in database \"%s\" is version %s, but the loaded library is version %s",
						worker_database, schema_version, SIGNALS_VERSION),
				 errhint("Run ALTER EXTENSION signals UPDATE in database \"%s\" (or install the library of version %s and restart).",
						 worker_database, schema_version)));
	else if (outcome == STEP_RESTORING)
		ereport(LOG,
				(errmsg("signals workers wait: a restore is loading data into database \"%s\"", worker_database)));
	else if (outcome == STEP_NOTHING &&
			 (previous == STEP_OTHER_VERSION || previous == STEP_RESTORING))
		ereport(LOG,
				(errmsg("signals workers resume grouping in database \"%s\"", worker_database)));
}

/*
 * Whether the step may work: the extension installed at this library's
 * version and no restore loading data.  In a transaction.
 */
static StepOutcome
check_schema(void)
{
	bool		isnull;
	Datum		version;
	int			rc;

	rc = SPI_execute("SELECT extversion FROM pg_catalog.pg_extension"
					 " WHERE extname OPERATOR(pg_catalog.=) 'signals'", true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not look up the signals extension: %s", SPI_result_code_string(rc));
	if (SPI_processed != 1)
		return STEP_NO_EXTENSION;
	version = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	text_to_cstring_buffer(DatumGetTextPP(version), schema_version, sizeof(schema_version));
	if (strcmp(schema_version, SIGNALS_VERSION) != 0)
		return STEP_OTHER_VERSION;
	if (!restore_lock_try_worker())
		return STEP_RESTORING;
	return STEP_WORKED;
}

/*
 * One step: group a batch of the next ready team after *last_team.
 * *last_team becomes the cursor for the next step.
 */
static StepOutcome
worker_step(int64 *last_team)
{
	static SPIPlanPtr plan = NULL;
	StepOutcome outcome;

	begin_work("signals: grouping queued signals");
	outcome = check_schema();
	if (outcome == STEP_WORKED)
	{
		Datum		args[2];
		Datum		team;
		bool		isnull;
		int			rc;

		if (plan == NULL)
		{
			Oid			argtypes[2] = {INT8OID, INT4OID};

			plan = SPI_prepare("SELECT team_id FROM signals.process_next_team($1, $2)",
							   2, argtypes);
			if (plan == NULL)
				elog(ERROR, "could not prepare the worker step: %s",
					 SPI_result_code_string(SPI_result));
			SPI_keepplan(plan);
		}
		args[0] = Int64GetDatum(*last_team);
		args[1] = Int32GetDatum(worker_batch_size);
		rc = SPI_execute_plan(plan, args, NULL, false, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "worker step failed: %s", SPI_result_code_string(rc));
		team = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (isnull)
			outcome = STEP_NOTHING;
		else
			/* One batch per team per round, so a backlog delays nobody else. */
			*last_team = DatumGetInt64(team);
	}
	end_work();
	log_outcome(outcome);
	return outcome;
}

/*
 * The teams whose grouping index rows may be pruned: every team, and the
 * teams deleted since that left candidate and dedupe rows (found by
 * skipping through those indexes one team at a time).
 */
static int64 *
prune_teams(int *count)
{
	int64	   *teams = NULL;
	int			rc;

	*count = 0;
	begin_work("signals: listing the teams to prune");
	if (check_schema() == STEP_WORKED)
	{
		rc = SPI_execute("WITH RECURSIVE"
						 " p(team_id) AS ((SELECT team_id FROM signals.grouping_postings ORDER BY team_id LIMIT 1)"
						 "   UNION ALL SELECT (SELECT g.team_id FROM signals.grouping_postings g"
						 "                      WHERE g.team_id OPERATOR(pg_catalog.>) p.team_id"
						 "                      ORDER BY g.team_id LIMIT 1) FROM p WHERE p.team_id IS NOT NULL),"
						 " k(team_id) AS ((SELECT team_id FROM signals.grouping_dedupe ORDER BY team_id LIMIT 1)"
						 "   UNION ALL SELECT (SELECT g.team_id FROM signals.grouping_dedupe g"
						 "                      WHERE g.team_id OPERATOR(pg_catalog.>) k.team_id"
						 "                      ORDER BY g.team_id LIMIT 1) FROM k WHERE k.team_id IS NOT NULL)"
						 " SELECT team_id FROM signals.teams"
						 " UNION SELECT team_id FROM p WHERE team_id IS NOT NULL"
						 " UNION SELECT team_id FROM k WHERE team_id IS NOT NULL"
						 " ORDER BY 1", true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "could not list the teams: %s", SPI_result_code_string(rc));
		teams = MemoryContextAlloc(worker_context, sizeof(int64) * Max(SPI_processed, 1));
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;

			teams[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
												   SPI_tuptable->tupdesc, 1, &isnull));
		}
		*count = (int) SPI_processed;
	}
	end_work();
	return teams;
}

/* Prune one team's grouping index in a transaction; false when it failed. */
static bool
prune_team(int64 team_id)
{
	volatile bool ok = true;

	PG_TRY();
	{
		Datum		team = Int64GetDatum(team_id);
		Oid			argtype = INT8OID;
		int			rc;

		begin_work("signals: pruning the grouping index");
		rc = SPI_execute_with_args("SELECT signals.grouping_prune($1)", 1, &argtype,
								   &team, NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "grouping_prune failed: %s", SPI_result_code_string(rc));
		end_work();
	}
	PG_CATCH();
	{
		fail_work(psprintf("pruning the grouping index of team " INT64_FORMAT, team_id));
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * Prune the grouping index: rows for deleted reports and for reports
 * without a signal inside the grouping window.  One team per transaction;
 * a team that fails is logged and skipped until the next prune.
 */
static void
worker_prune(void)
{
	volatile int count = 0;
	int64	   *volatile teams = NULL;

	PG_TRY();
	{
		int			n;

		teams = prune_teams(&n);
		count = n;
	}
	PG_CATCH();
	{
		fail_work("listing the teams to prune");
		teams = NULL;
		count = 0;
	}
	PG_END_TRY();

	for (int i = 0; i < count; i++)
	{
		CHECK_FOR_INTERRUPTS();
		(void) prune_team(teams[i]);
	}
	if (teams != NULL)
		pfree(teams);
}

/* How long an idle worker sleeps: the naptime, or until the next prune is due. */
static long
idle_timeout_ms(TimestampTz last_prune)
{
	long		timeout = worker_naptime_ms;

	if (worker_number == 1 && worker_prune_interval_s > 0)
	{
		TimestampTz due = TimestampTzPlusMilliseconds(last_prune,
													  (int64) worker_prune_interval_s * 1000);
		long		until_due = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), due);

		timeout = Min(timeout, Max(until_due, 10));
	}
	return timeout;
}

static void
sleep_ms(long timeout)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 timeout, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Whether the database exists and allows connections.  In a transaction of
 * a process connected to no database, which can read pg_database only by a
 * plain scan (as the autovacuum launcher does).
 */
static bool
database_accepts_connections(const char *name)
{
	Relation	rel = table_open(DatabaseRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple	tuple;
	bool		allowed = false;

	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);

		if (strcmp(NameStr(db->datname), name) == 0)
		{
			allowed = db->datallowconn;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return allowed;
}

/*
 * The worker's previous attempt to connect failed (its database is
 * missing): connect to no database, say once what to fix, and wait with a
 * growing pause until the database exists.  Then exit, so that the
 * postmaster starts the worker again and it connects.  Never returns.
 */
static void
wait_for_database(void)
{
	long		pause = 1000;
	bool		said = false;

	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("signals worker");
	for (;;)
	{
		bool		exists;

		StartTransactionCommand();
		exists = database_accepts_connections(worker_database);
		CommitTransactionCommand();
		if (exists)
		{
			SpinLockAcquire(&worker_shared->mutex);
			worker_shared->connecting[worker_number - 1] = false;
			SpinLockRelease(&worker_shared->mutex);
			if (said)
				ereport(LOG,
						(errmsg("signals workers: database \"%s\" exists now; connecting", worker_database)));
			proc_exit(1);
		}
		if (!said && worker_number == 1)
			ereport(WARNING,
					(errmsg("signals workers wait for database \"%s\" (signals.database), which does not exist or does not allow connections",
							worker_database),
					 errhint("Create the database and the extension in it, or set signals.database to the database that has the extension and restart the server.")));
		said = true;
		sleep_ms(pause);
		pause = Min(pause * 2, WORKER_MAX_BACKOFF_MS);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
}

/*
 * Connect to signals.database.  A failed connection ends the process with
 * FATAL (a missing database); the flag set here tells the next start to
 * wait for the database instead of failing again every few seconds.
 */
static void
connect_to_database(void)
{
	bool		failed_before;

	SpinLockAcquire(&worker_shared->mutex);
	failed_before = worker_shared->connecting[worker_number - 1];
	worker_shared->connecting[worker_number - 1] = true;
	SpinLockRelease(&worker_shared->mutex);
	if (failed_before)
		wait_for_database();
	BackgroundWorkerInitializeConnection(worker_database, NULL, 0);
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->connecting[worker_number - 1] = false;
	SpinLockRelease(&worker_shared->mutex);
}

/* The worker's session settings: give way to everyone else. */
static void
set_worker_timeouts(void)
{
	SetConfigOption("lock_timeout", WORKER_LOCK_TIMEOUT, PGC_SUSET, PGC_S_SESSION);
	SetConfigOption("deadlock_timeout", WORKER_DEADLOCK_TIMEOUT, PGC_SUSET, PGC_S_SESSION);
}

/* Run one step; false when it failed (logged and rolled back). */
static bool
run_step(int64 *last_team, StepOutcome *outcome)
{
	volatile bool ok = true;

	PG_TRY();
	{
		*outcome = worker_step(last_team);
	}
	PG_CATCH();
	{
		fail_work("a grouping step");
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* Entry point of a worker process. */
void
signals_worker_main(Datum main_arg)
{
	int64		last_team = 0;
	TimestampTz last_prune = 0;
	long		backoff = 0;

	worker_number = DatumGetInt32(main_arg);
	worker_context = AllocSetContextCreate(TopMemoryContext, "signals worker",
										   ALLOCSET_DEFAULT_SIZES);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	connect_to_database();
	pgstat_report_appname("signals worker");
	set_worker_timeouts();

	register_latch();
	before_shmem_exit(unregister_latch, (Datum) 0);

	ereport(LOG,
			(errmsg("signals worker %d started in database \"%s\"",
					worker_number, worker_database)));

	for (;;)
	{
		StepOutcome outcome = STEP_NOTHING;
		bool		failed;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			set_worker_timeouts();
		}

		failed = !run_step(&last_team, &outcome);

		if (failed)
		{
			/* Give way: retry later, the longer the more steps fail. */
			backoff = Min(Max(backoff * 2, 1000), WORKER_MAX_BACKOFF_MS);
			sleep_ms(backoff);
			continue;
		}
		backoff = 0;
		if (outcome == STEP_WORKED)
			continue;
		if (outcome == STEP_NOTHING && last_team != 0)
		{
			/* Nothing after the cursor: start again from the first team. */
			last_team = 0;
			continue;
		}

		if (outcome == STEP_NOTHING && worker_number == 1 && worker_prune_interval_s > 0 &&
			TimestampDifferenceExceeds(last_prune, GetCurrentTimestamp(),
									   worker_prune_interval_s * 1000))
		{
			worker_prune();
			last_prune = GetCurrentTimestamp();
			continue;
		}

		sleep_ms(idle_timeout_ms(last_prune));
	}
}

/*
 * Register the workers, as many as max_worker_processes leaves slots for;
 * say what to set when that is fewer than signals.workers.
 */
static void
register_workers(void)
{
	int			used = 0;
	int			start;
	slist_iter	iter;

	slist_foreach(iter, &BackgroundWorkerList)
		used++;
	start = Min(worker_count, Max(max_worker_processes - used, 0));
	if (start < worker_count)
		ereport(WARNING,
				(errmsg("only %d of the %d signals workers can start: max_worker_processes is %d and %d of its slots are taken",
						start, worker_count, max_worker_processes, used),
				 errhint("Set max_worker_processes to at least %d (and more for parallel queries) and restart the server.",
						 used + worker_count)));

	for (int i = 0; i < start; i++)
	{
		BackgroundWorker worker;

		memset(&worker, 0, sizeof(worker));
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		/* On a standby the workers start at promotion. */
		worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
		worker.bgw_restart_time = 5;
		snprintf(worker.bgw_library_name, BGW_MAXLEN, "signals");
		snprintf(worker.bgw_function_name, BGW_MAXLEN, "signals_worker_main");
		snprintf(worker.bgw_name, BGW_MAXLEN, "signals worker %d", i + 1);
		snprintf(worker.bgw_type, BGW_MAXLEN, "signals worker");
		worker.bgw_main_arg = Int32GetDatum(i + 1);
		RegisterBackgroundWorker(&worker);
	}
}

/* Define the worker's settings and, when preloaded, register the workers. */
void
worker_init(void)
{
	/*
	 * The workers' database and number exist only when the library is
	 * preloaded: PostgreSQL allows postmaster settings to be defined then
	 * and only then (a library loaded later, for process_pending(), must
	 * not define them).
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomStringVariable("signals.database",
								   "Database in which the background workers group signals.",
								   NULL, &worker_database, "postgres",
								   PGC_POSTMASTER, 0, NULL, NULL, NULL);
		DefineCustomIntVariable("signals.workers",
								"Number of background workers grouping signals (0 disables them).",
								"Each takes one of max_worker_processes' slots.",
								&worker_count, 1, 0, MAX_WORKERS,
								PGC_POSTMASTER, 0, NULL, NULL, NULL);
	}
	DefineCustomIntVariable("signals.naptime",
							"How long an idle worker sleeps before looking at the queues again.",
							"New signals wake the workers at once; this bounds how late a pause's end is noticed.",
							&worker_naptime_ms, 1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("signals.prune_interval",
							"How often a worker removes grouping index rows that can no longer match (0 never).",
							"Rows of deleted reports and of reports without a signal inside signals.grouping_window_days.",
							&worker_prune_interval_s, 86400, 0, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("signals.batch_size",
							"Signals of one team a worker groups per transaction.",
							NULL, &worker_batch_size, 500, 1, 100000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("signals.warn_unserved_emits",
							 "Warn when a signal is queued in a database that no background worker serves.",
							 "Turn it off where signals.process_pending() drains the queues by design.",
							 &warn_unserved_emits, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = worker_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = worker_shmem_startup;

	register_workers();
}
