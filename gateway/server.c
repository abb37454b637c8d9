/*-------------------------------------------------------------------------
 *
 * server.c
 *	  The HTTP server's threads: the acceptor and the I/O threads.
 *
 * The acceptor accepts TCP connections and applies the connection limits:
 * --max-connections in all, --max-connections-per-client for one client
 * address, and the memory budget; a connection over a limit gets a 429 or
 * 503 with the API's error body and Retry-After, and is closed.  Each
 * accepted connection goes to the I/O thread with the fewest.
 *
 * An I/O thread runs an epoll loop over its connections (conn.c): it reads
 * requests, answers what needs no database, queues the rest for the
 * workers (dispatch.c) and writes responses.  It never blocks: a worker
 * that finishes posts the connection back through an eventfd.  Every tick
 * (100 ms) it enforces the connections' deadlines.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* accept4, pipe2 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "clients.h"
#include "clock.h"
#include "conn.h"
#include "handler.h"
#include "log.h"
#include "response.h"
#include "server.h"

#define TICK_MS 100
#define MAX_EVENTS 128
#define MAX_IO_THREADS 8

typedef struct IoThread
{
	int			index;
	pthread_t	thread;
	bool		started;
	int			epfd;
	int			wakefd;			/* eventfd: new connections, finished work, commands */
	pthread_mutex_t lock;		/* guards the three fields below */
	Conn	   *incoming;		/* accepted, not yet taken up */
	Conn	   *finished;		/* their worker is done */
	bool		quiesce;		/* commands from the main thread */
	bool		stop;
	Conn	   *conns;			/* the thread's own list */
	Conn	   *closed;			/* closed this round, freed at its end */
	bool		quiesced;
	atomic_int	nconns;
} IoThread;

static const GatewayConfig *config;
static IoThread *io_threads;
static int	nio_threads;
static int	listen_fd = -1;
static int	stop_pipe[2] = {-1, -1};	/* wakes the acceptor to stop */
static pthread_t acceptor;
static bool acceptor_running;
static atomic_int open_connections;


/* Watch the connection's socket for events (0: not at all). */
void
io_set_events(Conn *c, uint32_t events)
{
	struct epoll_event ev;
	int			op;

	if (events == c->watched)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	if (events == 0)
		op = EPOLL_CTL_DEL;
	else
		op = c->watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(c->io->epfd, op, c->fd, &ev) != 0)
		log_message(LOG_LEVEL_WARNING, "epoll_ctl on a connection failed: %s", strerror(errno));
	c->watched = events;
}

/* The connection is closed: close its socket now, free it at the end of the round. */
void
io_forget(Conn *c)
{
	IoThread   *io = c->io;

	io_set_events(c, 0);
	close(c->fd);
	c->fd = -1;
	clients_release(&c->key);
	atomic_fetch_sub(&open_connections, 1);
	atomic_fetch_sub(&io->nconns, 1);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		io->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = NULL;
	c->next = io->closed;
	io->closed = c;
}

/* From a worker: the connection's request is answered; its thread takes it up. */
void
io_post_finished(Conn *c)
{
	IoThread   *io = c->io;
	uint64_t	one = 1;

	pthread_mutex_lock(&io->lock);
	c->next_queued = io->finished;
	io->finished = c;
	pthread_mutex_unlock(&io->lock);
	if (write(io->wakefd, &one, sizeof(one)) != sizeof(one))
		log_message(LOG_LEVEL_ERROR, "could not wake an I/O thread: %s", strerror(errno));
}

static void
io_wake(IoThread *io)
{
	uint64_t	one = 1;

	if (write(io->wakefd, &one, sizeof(one)) != sizeof(one))
		log_message(LOG_LEVEL_ERROR, "could not wake an I/O thread: %s", strerror(errno));
}

static void
free_closed(IoThread *io)
{
	while (io->closed != NULL)
	{
		Conn	   *c = io->closed;

		io->closed = c->next;
		conn_free(c);
	}
}

/* Take up what other threads handed over: new connections, finished work, commands. */
static void
take_handovers(IoThread *io)
{
	uint64_t	count;
	Conn	   *incoming;
	Conn	   *finished;
	bool		quiesce;

	if (read(io->wakefd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_message(LOG_LEVEL_ERROR, "could not read an I/O thread's eventfd: %s", strerror(errno));
	pthread_mutex_lock(&io->lock);
	incoming = io->incoming;
	finished = io->finished;
	io->incoming = io->finished = NULL;
	quiesce = io->quiesce;
	pthread_mutex_unlock(&io->lock);

	while (incoming != NULL)
	{
		Conn	   *c = incoming;

		incoming = c->next_queued;
		c->next = io->conns;
		if (io->conns != NULL)
			io->conns->prev = c;
		io->conns = c;
		conn_start(c);
		io_set_events(c, EPOLLIN);
		if (io->quiesced)
			conn_quiesce(c);
	}
	while (finished != NULL)
	{
		Conn	   *c = finished;

		finished = c->next_queued;
		conn_work_finished(c);
	}
	if (quiesce && !io->quiesced)
	{
		io->quiesced = true;
		for (Conn *c = io->conns, *next; c != NULL; c = next)
		{
			next = c->next;
			conn_quiesce(c);
		}
	}
}

static void *
io_main(void *arg)
{
	IoThread   *io = arg;
	struct epoll_event events[MAX_EVENTS];
	int64_t		last_tick = monotonic_us();

	for (;;)
	{
		int			n = epoll_wait(io->epfd, events, MAX_EVENTS, TICK_MS);
		int64_t		now;
		bool		stop;

		if (n < 0 && errno != EINTR)
		{
			log_message(LOG_LEVEL_ERROR, "epoll_wait failed: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
		{
			Conn	   *c = events[i].data.ptr;

			if (c == NULL)
				take_handovers(io);
			else if (c->state != CONN_CLOSED)
				conn_on_events(c, events[i].events);
		}
		now = monotonic_us();
		if (now - last_tick >= TICK_MS * 1000)
		{
			last_tick = now;
			for (Conn *c = io->conns, *next; c != NULL; c = next)
			{
				next = c->next;
				conn_check_deadline(c, now);
			}
		}
		free_closed(io);
		pthread_mutex_lock(&io->lock);
		stop = io->stop;
		pthread_mutex_unlock(&io->lock);
		if (stop)
			break;
	}
	return NULL;
}

/* The I/O thread with the fewest connections (ties go round-robin). */
static IoThread *
least_busy_io_thread(void)
{
	static int	next;
	IoThread   *best = NULL;
	int			best_count = 0;

	for (int i = 0; i < nio_threads; i++)
	{
		IoThread   *io = &io_threads[(next + i) % nio_threads];
		int			count = atomic_load(&io->nconns);

		if (best == NULL || count < best_count)
		{
			best = io;
			best_count = count;
		}
	}
	next = (best->index + 1) % nio_threads;
	return best;
}

/*
 * Refuse a connection at once: the API's error body with Retry-After.  What
 * the client already sent is read first, so that closing sends FIN, not RST.
 */
static void
refuse_connection(int fd, const char *client, int status, const char *code, const char *detail)
{
	Response	resp;
	StrBuf		out;
	char		scratch[4096];

	response_init(&resp);
	response_error(&resp, status, code, detail);
	response_header(&resp, "Retry-After", "1");
	strbuf_init(&out, 256);
	response_write_head(&resp, &out, false, 1);
	strbuf_append(&out, resp.body, resp.body_len);
	(void) send(fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (int i = 0; i < 16 && recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0; i++)
		;
	shutdown(fd, SHUT_WR);
	close(fd);
	log_access(client, "-", "-", status, resp.body_len, 0);
	strbuf_free(&out);
	response_clear(&resp);
}

/* Apply the limits to an accepted connection and hand it to an I/O thread. */
static void
take_connection(int fd, const struct sockaddr *addr)
{
	ClientKey	key;
	char		client[48];
	IoThread   *io;
	Conn	   *c;
	int			one = 1;

	clients_key(addr, &key, client, sizeof(client));
	if (atomic_load(&open_connections) >= config->max_connections)
	{
		refuse_connection(fd, client, 503, "service_unavailable",
						  "The gateway has too many open connections; try again later.");
		return;
	}
	if (!clients_acquire(&key, config->max_client_connections))
	{
		refuse_connection(fd, client, 429, "throttled",
						  "Too many open connections from this address; try again later.");
		return;
	}
	if (!budget_reserve(CONN_BASE_BYTES))
	{
		clients_release(&key);
		refuse_connection(fd, client, 503, "service_unavailable",
						  "The gateway is at its memory limit; try again later.");
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xmalloc(sizeof(Conn));
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->key = key;
	c->charged = CONN_BASE_BYTES;
	snprintf(c->client, sizeof(c->client), "%s", client);
	io = least_busy_io_thread();
	c->io = io;
	atomic_fetch_add(&open_connections, 1);
	atomic_fetch_add(&io->nconns, 1);
	pthread_mutex_lock(&io->lock);
	c->next_queued = io->incoming;
	io->incoming = c;
	pthread_mutex_unlock(&io->lock);
	io_wake(io);
}

/* The acceptor thread: accept connections and hand them to the I/O threads. */
static void *
accept_loop(void *arg)
{
	struct pollfd fds[2];

	(void) arg;
	fds[0].fd = listen_fd;
	fds[0].events = POLLIN;
	fds[1].fd = stop_pipe[0];
	fds[1].events = POLLIN;
	for (;;)
	{
		if (poll(fds, 2, -1) < 0)
		{
			if (errno == EINTR)
				continue;
			log_message(LOG_LEVEL_ERROR, "poll on the listening socket failed: %s", strerror(errno));
			break;
		}
		if (fds[1].revents != 0)
			break;
		for (;;)
		{
			struct sockaddr_storage addr;
			socklen_t	len = sizeof(addr);
			int			fd = accept4(listen_fd, (struct sockaddr *) &addr, &len,
									 SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd < 0)
			{
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				{
					struct timespec pause = {0, 10 * 1000 * 1000};

					log_message(LOG_LEVEL_WARNING, "cannot accept connections: %s", strerror(errno));
					nanosleep(&pause, NULL);
				}
				break;			/* EAGAIN, or a connection that went away */
			}
			take_connection(fd, (struct sockaddr *) &addr);
		}
	}
	return NULL;
}

/* Enough file descriptors for every connection allowed, if the hard limit lets us. */
static void
raise_fd_limit(int connections)
{
	struct rlimit rl;
	rlim_t		want = (rlim_t) connections + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_message(LOG_LEVEL_WARNING, "could not raise the open files limit: %s", strerror(errno));
}

/*
 * Open the listening socket; *port gets the port bound (useful with
 * --port=0).  False (errno set) on failure.  Done before privileges are
 * dropped, so that a port below 1024 can be bound.
 */
bool
server_listen(const GatewayConfig *cfg, int *bound_port)
{
	struct sockaddr_storage addr;
	socklen_t	len;
	int			one = 1;

	config = cfg;
	raise_fd_limit(cfg->max_connections);
	memset(&addr, 0, sizeof(addr));
	if (inet_pton(AF_INET, cfg->listen_address, &((struct sockaddr_in *) &addr)->sin_addr) == 1)
	{
		((struct sockaddr_in *) &addr)->sin_family = AF_INET;
		((struct sockaddr_in *) &addr)->sin_port = htons((uint16_t) cfg->port);
		len = sizeof(struct sockaddr_in);
	}
	else if (inet_pton(AF_INET6, cfg->listen_address,
					   &((struct sockaddr_in6 *) &addr)->sin6_addr) == 1)
	{
		((struct sockaddr_in6 *) &addr)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *) &addr)->sin6_port = htons((uint16_t) cfg->port);
		len = sizeof(struct sockaddr_in6);
	}
	else
	{
		errno = EINVAL;
		log_message(LOG_LEVEL_ERROR, "--listen=%s is not a numeric IPv4 or IPv6 address",
					cfg->listen_address);
		return false;
	}
	listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return false;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *) &addr, len) != 0 ||
		listen(listen_fd, SOMAXCONN) != 0)
	{
		int			saved = errno;

		close(listen_fd);
		listen_fd = -1;
		errno = saved;
		return false;
	}
	len = sizeof(addr);
	getsockname(listen_fd, (struct sockaddr *) &addr, &len);
	*bound_port = ntohs(addr.ss_family == AF_INET ?
						((struct sockaddr_in *) &addr)->sin_port :
						((struct sockaddr_in6 *) &addr)->sin6_port);
	return true;
}

/* I/O threads: one per CPU, at most MAX_IO_THREADS. */
static int
io_thread_count(void)
{
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		return 1;
	return cpus > MAX_IO_THREADS ? MAX_IO_THREADS : (int) cpus;
}

/* Start the I/O threads and the acceptor.  False (errno set) on failure. */
bool
server_start(void)
{
	conn_init(config);
	atomic_store(&open_connections, 0);
	nio_threads = io_thread_count();
	io_threads = xmalloc(sizeof(IoThread) * nio_threads);
	memset(io_threads, 0, sizeof(IoThread) * nio_threads);
	for (int i = 0; i < nio_threads; i++)
	{
		io_threads[i].epfd = io_threads[i].wakefd = -1;
		pthread_mutex_init(&io_threads[i].lock, NULL);
	}
	for (int i = 0; i < nio_threads; i++)
	{
		IoThread   *io = &io_threads[i];
		struct epoll_event ev;

		io->index = i;
		atomic_init(&io->nconns, 0);
		io->epfd = epoll_create1(EPOLL_CLOEXEC);
		io->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = NULL;
		if (io->epfd < 0 || io->wakefd < 0 ||
			epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->wakefd, &ev) != 0 ||
			pthread_create(&io->thread, NULL, io_main, io) != 0)
		{
			log_message(LOG_LEVEL_ERROR, "could not start I/O thread %d: %s", i, strerror(errno));
			server_stop();
			return false;
		}
		io->started = true;
	}
	if (pipe2(stop_pipe, O_CLOEXEC) != 0 ||
		pthread_create(&acceptor, NULL, accept_loop, NULL) != 0)
	{
		server_stop();
		return false;
	}
	acceptor_running = true;
	return true;
}

/*
 * Stop accepting connections: connections between requests close, requests
 * in flight go on (their responses say Connection: close).
 */
void
server_quiesce(void)
{
	handler_set_shutting_down();
	if (acceptor_running)
	{
		char		stop = 's';

		if (write(stop_pipe[1], &stop, 1) != 1)
			log_message(LOG_LEVEL_ERROR, "could not stop the acceptor: %s", strerror(errno));
		pthread_join(acceptor, NULL);
		acceptor_running = false;
	}
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	for (int i = 0; i < nio_threads; i++)
	{
		IoThread   *io = &io_threads[i];

		if (!io->started)
			continue;
		pthread_mutex_lock(&io->lock);
		io->quiesce = true;
		pthread_mutex_unlock(&io->lock);
		io_wake(io);
	}
}

/* Requests begun and not yet answered. */
int
server_in_flight(void)
{
	return conn_in_flight();
}

/*
 * Stop the I/O threads and close every connection.  The workers must have
 * stopped (dispatch_stop()), so that no connection is still theirs.
 */
void
server_stop(void)
{
	server_quiesce();
	for (int i = 0; i < nio_threads; i++)
	{
		IoThread   *io = &io_threads[i];

		if (io->started)
		{
			pthread_mutex_lock(&io->lock);
			io->stop = true;
			pthread_mutex_unlock(&io->lock);
			io_wake(io);
			pthread_join(io->thread, NULL);
		}
		/* Whatever is left: handed over and never taken up, or still open. */
		for (Conn *c = io->incoming, *next; c != NULL; c = next)
		{
			next = c->next_queued;
			close(c->fd);
			clients_release(&c->key);
			conn_free(c);
		}
		io->incoming = NULL;
		while (io->conns != NULL)
		{
			Conn	   *c = io->conns;

			io->conns = c->next;
			close(c->fd);
			clients_release(&c->key);
			conn_free(c);
		}
		free_closed(io);
		if (io->epfd >= 0)
			close(io->epfd);
		if (io->wakefd >= 0)
			close(io->wakefd);
		pthread_mutex_destroy(&io->lock);
	}
	free(io_threads);
	io_threads = NULL;
	nio_threads = 0;
	clients_reset();
	for (int i = 0; i < 2; i++)
	{
		if (stop_pipe[i] >= 0)
			close(stop_pipe[i]);
		stop_pipe[i] = -1;
	}
}
