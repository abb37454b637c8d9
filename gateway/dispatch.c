/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *	  The worker threads that make the database calls, and their queues.
 *
 * The I/O threads (server.c) never wait on the database: a request that
 * needs it goes into a queue, and a worker thread, each with its own
 * database connection (pool.c), takes it, makes the call and hands the
 * response back.  Only an idle worker takes work, so one slow call holds
 * up nothing but itself while another worker is free; requests wait in the
 * queue only when every worker is busy.  /readyz has a queue and a worker
 * (and connection) of its own, so that a health check never waits behind
 * API calls.
 *
 * At shutdown, work still queued is answered 503 without a database call.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "handler.h"
#include "log.h"
#include "pool.h"
#include "strbuf.h"

typedef struct Queue
{
	pthread_mutex_t lock;
	pthread_cond_t ready;
	Work	   *head;
	Work	   *tail;
	bool		stopping;
} Queue;

typedef struct Worker
{
	pthread_t	thread;
	bool		started;
	Queue	   *queue;
	Slot	   *slot;
} Worker;

static Queue api_queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false};
static Queue ready_queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false};
static Worker *workers;
static int	nworkers;

/* The next work of the queue; NULL when the queue is stopping and empty. */
static Work *
queue_take(Queue *queue, bool *stopping)
{
	Work	   *work;

	pthread_mutex_lock(&queue->lock);
	while (queue->head == NULL && !queue->stopping)
		pthread_cond_wait(&queue->ready, &queue->lock);
	work = queue->head;
	if (work != NULL)
	{
		queue->head = work->next;
		if (queue->head == NULL)
			queue->tail = NULL;
		work->next = NULL;
	}
	*stopping = queue->stopping;
	pthread_mutex_unlock(&queue->lock);
	return work;
}

static void *
worker_main(void *arg)
{
	Worker	   *worker = arg;
	Work	   *work;
	bool		stopping;

	while ((work = queue_take(worker->queue, &stopping)) != NULL)
	{
		if (stopping)
			response_unavailable(work->resp, 1, "The gateway is shutting down.");
		else
			handler_run(work->kind, work->req, work->resp, worker->slot);
		work->done(work);
	}
	return NULL;
}

/* Queue a request for a worker. */
void
dispatch_submit(Work *work)
{
	Queue	   *queue = work->kind == WORK_READY ? &ready_queue : &api_queue;

	work->next = NULL;
	pthread_mutex_lock(&queue->lock);
	if (queue->tail != NULL)
		queue->tail->next = work;
	else
		queue->head = work;
	queue->tail = work;
	pthread_cond_signal(&queue->ready);
	pthread_mutex_unlock(&queue->lock);
}

/* Start n API workers (slots 0 to n - 1) and the readiness worker. */
bool
dispatch_start(int n)
{
	nworkers = n + 1;
	workers = xmalloc(sizeof(Worker) * nworkers);
	memset(workers, 0, sizeof(Worker) * nworkers);
	for (int i = 0; i < nworkers; i++)
	{
		Worker	   *w = &workers[i];

		w->queue = i < n ? &api_queue : &ready_queue;
		w->slot = i < n ? pool_slot(i) : pool_ready_slot();
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		{
			log_message(LOG_LEVEL_ERROR, "could not start worker thread %d", i);
			dispatch_stop();
			return false;
		}
		w->started = true;
	}
	return true;
}

static void
queue_stop(Queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	queue->stopping = true;
	pthread_cond_broadcast(&queue->ready);
	pthread_mutex_unlock(&queue->lock);
}

/*
 * Stop the workers once they finish their current call; work still queued
 * is answered 503.  Every work's done has been called when this returns.
 */
void
dispatch_stop(void)
{
	queue_stop(&api_queue);
	queue_stop(&ready_queue);
	for (int i = 0; i < nworkers; i++)
		if (workers[i].started)
			pthread_join(workers[i].thread, NULL);
	free(workers);
	workers = NULL;
	nworkers = 0;
}
