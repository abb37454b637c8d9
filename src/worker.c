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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "signals.h"

#define MAX_WORKERS 8

/* Shared state: the latches of the running workers. */
typedef struct WorkerShared
{
	slock_t		mutex;
	Latch	   *latches[MAX_WORKERS];
} WorkerShared;

static WorkerShared *worker_shared = NULL;

/* GUCs */
static char *worker_database = NULL;
static int	worker_count = 1;
static int	worker_naptime_ms = 1000;
static int	worker_batch_size = 500;
static int	worker_prune_interval_s = 86400;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Whether this transaction asked to wake the workers at commit. */
static bool wake_at_commit = false;
static bool xact_callback_registered = false;

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

/* Take a free slot for this worker's latch; returns the slot. */
static int
register_latch(void)
{
	int			slot = -1;

	SpinLockAcquire(&worker_shared->mutex);
	for (int i = 0; i < MAX_WORKERS && slot < 0; i++)
		if (worker_shared->latches[i] == NULL)
		{
			worker_shared->latches[i] = MyLatch;
			slot = i;
		}
	SpinLockRelease(&worker_shared->mutex);
	return slot;
}

static void
unregister_latch(int code, Datum slot)
{
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->latches[DatumGetInt32(slot)] = NULL;
	SpinLockRelease(&worker_shared->mutex);
}

/* Begin a worker transaction with an SPI connection and a snapshot. */
static void
begin_work(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
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
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Whether the extension is installed in the worker's database (in a transaction). */
static bool
extension_installed(void)
{
	int			rc = SPI_execute("SELECT FROM pg_catalog.pg_extension"
								 " WHERE extname OPERATOR(pg_catalog.=) 'signals'", true, 1);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not look up the signals extension: %s", SPI_result_code_string(rc));
	return SPI_processed == 1;
}

/*
 * One step: group a batch of the next ready team after *last_team.  Returns
 * whether a team was found; *last_team becomes the cursor for the next step.
 */
static bool
worker_step(int64 *last_team)
{
	static SPIPlanPtr plan = NULL;
	bool		found_team = false;

	begin_work("signals: grouping queued signals");
	if (extension_installed())
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
		if (!isnull)
		{
			/* One batch per team per round, so a backlog delays nobody else. */
			found_team = true;
			*last_team = DatumGetInt64(team);
		}
	}
	end_work();
	return found_team;
}

/*
 * Prune the grouping index of every team: rows for deleted reports and for
 * reports without a signal inside the grouping window.  One transaction.
 */
static void
worker_prune(void)
{
	begin_work("signals: pruning the grouping index");
	if (extension_installed())
	{
		int			rc = SPI_execute("SELECT pg_catalog.sum(signals.grouping_prune(t.team_id))"
									 "  FROM signals.teams t", false, 0);

		if (rc != SPI_OK_SELECT)
			elog(ERROR, "pruning the grouping index failed: %s", SPI_result_code_string(rc));
	}
	end_work();
}

/* How long an idle worker sleeps: the naptime, or until the next prune is due. */
static long
idle_timeout_ms(int worker_number, TimestampTz last_prune)
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

/* Entry point of a worker process. */
void
signals_worker_main(Datum main_arg)
{
	int64		last_team = 0;
	int			slot;
	TimestampTz last_prune = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(worker_database, NULL, 0);
	pgstat_report_appname("signals worker");

	slot = register_latch();
	if (slot < 0)
		elog(ERROR, "no free signals worker slot");
	before_shmem_exit(unregister_latch, Int32GetDatum(slot));

	ereport(LOG,
			(errmsg("signals worker %d started in database \"%s\"",
					DatumGetInt32(main_arg), worker_database)));

	for (;;)
	{
		bool		worked;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		worked = worker_step(&last_team);
		if (!worked && last_team != 0)
		{
			/* Nothing after the cursor: start again from the first team. */
			last_team = 0;
			continue;
		}
		if (worked)
			continue;

		if (DatumGetInt32(main_arg) == 1 && worker_prune_interval_s > 0 &&
			TimestampDifferenceExceeds(last_prune, GetCurrentTimestamp(),
									   worker_prune_interval_s * 1000))
		{
			worker_prune();
			last_prune = GetCurrentTimestamp();
			continue;
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 idle_timeout_ms(DatumGetInt32(main_arg), last_prune),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Define the worker's settings and, when preloaded, register the workers. */
void
worker_init(void)
{
	DefineCustomStringVariable("signals.database",
							   "Database in which the background workers group signals.",
							   NULL, &worker_database, "postgres",
							   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("signals.workers",
							"Number of background workers grouping signals (0 disables them).",
							NULL, &worker_count, 1, 0, MAX_WORKERS,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
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

	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = worker_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = worker_shmem_startup;

	for (int i = 0; i < worker_count; i++)
	{
		BackgroundWorker worker;

		memset(&worker, 0, sizeof(worker));
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
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
