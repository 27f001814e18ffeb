#include "serve/loop.h"
#include "fs/files.h"
#include "fs/ops.h"
#include "metrics/metrics.h"
#include "serve/inflight.h"
#include "util/log.h"
#include "util/slow.h"
#include "util/thread.h"
#include "view/window.h"

#include <errno.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct loop;

struct request_thread {
	pthread_t id;
	unsigned index;      /* its slot in the in-flight journal */
	struct loop *loop;
	bool live;           /* the slot holds a thread to join (under the loop's lock) */
	_Atomic bool done;   /* returned: no more wake-ups needed */
	bool has_lane;       /* holds one of the loop's lanes */
};

/* A thread that waited this long for a lane was not needed: it ends, and
 * its stack and journal page go back. A burst of long sections (a
 * thousand containers' first reads, a hostile neighbour) otherwise leaves
 * its threads behind for the life of the process, 20 KiB each. */
#define RETIRE_AFTER_S 10

/* The request thread running on this thread, if any (slow_begin). */
static __thread struct request_thread *current;

/* Wakes a request thread waiting in read() on the connection: delivered
 * without SA_RESTART, so the read fails with EINTR before it takes a
 * request. (pthread_cancel is not safe there: with glibc's asynchronous
 * cancellation around read(), a thread cancelled just as the read
 * returned loses the request it took, and before Linux 6.9 nothing gives
 * such a request to another process: its reader waits forever.) */
#define WAKE_SIGNAL SIGRTMIN

struct loop {
	struct fuse_session *se;
	int fd;
	bool raw;            /* OPEN, READ and RELEASE answered by ops_answer_raw */
	struct inflight *journal; /* each thread reads requests into its slot */
	size_t bufsize;
	unsigned max_threads;
	pthread_mutex_t lock; /* threads[], nthreads */
	struct request_thread *threads; /* max_threads slots */
	unsigned nthreads;    /* live ones */
	/* Lanes: a thread waits for a request, or answers one, only while it
	 * holds a lane; one past its lane waits on the semaphore instead of
	 * on the connection. A thread gives its lane up for a long section
	 * (slow_begin) and takes it back after, if one is free. */
	sem_t lane;
	_Atomic unsigned lane_waiters; /* threads waiting for a lane */
	_Atomic unsigned idle; /* threads with a lane, waiting for a request */
	_Atomic int error;     /* first fatal receive error */
	sem_t finished;        /* posted by a thread that stops by itself, or loop_stop */
};

static struct loop *_Atomic running;
/* loop_stop was called. Not libfuse's session flag: libfuse 3 drops a
 * request it read after fuse_session_exit (its receive returns 0), and a
 * dropped request leaves its reader waiting forever before Linux 6.9. */
static _Atomic bool stop_requested;

/* Serving ends: asked to, or the connection ended (libfuse sets its flag). */
static bool ended(struct loop *l)
{
	return atomic_load(&stop_requested) || fuse_session_exited(l->se);
}

static void *request_thread(void *arg);

/* With every signal blocked: signals are for the thread that waits in
 * loop_serve (a stop must reach it). */
static int start_thread(struct loop *l)
{
	int r = 0;

	pthread_mutex_lock(&l->lock);
	/* Once the session ended, loop_serve counts the threads to stop:
	 * none may start after that. */
	if (l->nthreads >= l->max_threads || ended(l)) {
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	struct request_thread *t = l->threads;
	while (t->live)
		t++; /* fewer than max_threads are live: a slot is free */
	*t = (struct request_thread){ .loop = l, .index = (unsigned)(t - l->threads), .live = true };
	r = thread_start(&t->id, 0, request_thread, t);
	if (r == 0)
		l->nthreads++;
	else
		t->live = false;
	pthread_mutex_unlock(&l->lock);
	return -r;
}

size_t loop_request_size(void)
{
	/* libfuse's own receive buffer: the largest request the kernel may
	 * send after the INIT libfuse answered (max_write of 256 pages). */
	return 256 * (size_t)sysconf(_SC_PAGESIZE) + 4096;
}

/* Answers one request read from the connection. */
static void answer(void *buf, size_t len, void *arg)
{
	struct loop *l = arg;
	if (!l->raw || !ops_answer_raw(l->fd, buf, len))
		fuse_session_process_buf(l->se, &(struct fuse_buf){ .size = len, .mem = buf });
}

/* One request from the connection into buf: its length, 0 at the end of
 * the connection, -EINTR (or another transient error: take the next), or
 * another -errno. As libfuse's receive, which cannot read into a buffer
 * of ours. */
static ssize_t receive(struct loop *l, void *buf)
{
	ssize_t n = read(l->fd, buf, l->bufsize);
	if (n < 0) {
		int e = errno;
		if (e == EINTR || e == EAGAIN || e == ENOENT) /* ENOENT: interrupted meanwhile */
			return -EINTR;
		return e == ENODEV ? 0 : -e; /* ENODEV: unmounted */
	}
	if ((size_t)n < sizeof(struct fuse_in_header)) {
		log_err("short read on the FUSE connection (%zd bytes)", n);
		return -EIO;
	}
	return n;
}

enum lane { LANE_TAKEN, LANE_ENDED, LANE_IDLE };

/* Blocks until the thread holds a lane: LANE_ENDED when serving ends
 * first (the wake signal interrupts the wait), LANE_IDLE when none came
 * free for RETIRE_AFTER_S. */
static enum lane take_lane(struct loop *l, struct request_thread *t)
{
	struct timespec until;
	enum lane got = LANE_TAKEN;

	if (t->has_lane)
		return LANE_TAKEN;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += RETIRE_AFTER_S;
	atomic_fetch_add(&l->lane_waiters, 1);
	while (sem_clockwait(&l->lane, CLOCK_MONOTONIC, &until) < 0) {
		if (ended(l)) {
			got = LANE_ENDED;
			break;
		}
		if (errno == ETIMEDOUT) {
			got = LANE_IDLE;
			break;
		}
	}
	atomic_fetch_sub(&l->lane_waiters, 1);
	t->has_lane = got == LANE_TAKEN;
	return got;
}

/* Ends thread t (the caller) for good unless serving ends: its slot and
 * journal page are free for a thread started later. After a true return
 * t belongs to that thread: the caller only returns. */
static bool retire(struct loop *l, struct request_thread *t)
{
	pthread_mutex_lock(&l->lock);
	/* Once serving ended, loop_serve joins every live thread. */
	bool retiring = !ended(l);
	if (retiring) {
		inflight_release(l->journal, t->index);
		pthread_detach(pthread_self());
		t->live = false;
		l->nthreads--;
	}
	pthread_mutex_unlock(&l->lock);
	return retiring;
}

/* A free lane nobody waits for gets a thread of its own: the last one
 * with a lane took a request, or one gave its lane up for a long section. */
static void fill_lane(struct loop *l)
{
	int free_lanes = 0;
	if (atomic_load(&l->lane_waiters) || sem_getvalue(&l->lane, &free_lanes) < 0 || free_lanes <= 0)
		return;
	start_thread(l);
}

static void lane_give_up(void)
{
	struct request_thread *t = current;
	if (!t || !t->has_lane)
		return;
	t->has_lane = false;
	sem_post(&t->loop->lane);
	fill_lane(t->loop);
}

/* Never waits: the thread is answering a request. Without a lane it
 * finishes the request, then waits for one. */
static void lane_take_back(void)
{
	struct request_thread *t = current;
	if (t && !t->has_lane && sem_trywait(&t->loop->lane) == 0)
		t->has_lane = true;
}

static void *request_thread(void *arg)
{
	struct request_thread *self = arg;
	struct loop *l = self->loop;
	void *buf = inflight_slot(l->journal, self->index);
	inflight_clear(l->journal, self->index); /* its first page present (inflight.h) */

	thread_unblock(WAKE_SIGNAL);
	metrics_thread(self->index);
	files_render_after_reply();
	current = self;
	while (!ended(l)) {
		enum lane got = take_lane(l, self);
		if (got == LANE_ENDED)
			break;
		if (got == LANE_IDLE) {
			if (retire(l, self))
				return NULL;
			continue;
		}
		/* At the end of serving, loop_serve signals the threads until
		 * they return: one waiting for a request gets EINTR, one
		 * answering a request answers it first. */
		atomic_fetch_add(&l->idle, 1);
		ssize_t n = receive(l, buf);
		uint64_t taken = metrics_now();
		atomic_fetch_sub(&l->idle, 1);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				int none = 0;
				atomic_compare_exchange_strong(&l->error, &none, (int)n);
			}
			fuse_session_exit(l->se);
			break;
		}
		/* The last idle thread took a request: another one waits for
		 * the next, as libfuse's loop does, if a lane is free. */
		if (atomic_load(&l->idle) == 0)
			fill_lane(l);
		window_busy_enter();
		answer(buf, (size_t)n, l);
		window_busy_leave();
		inflight_clear(l->journal, self->index);
		metrics_request(taken);
		/* Its reader has its answer: the render a read left to make
		 * after it (the read was served the last one) is made now. */
		files_reply_sent();
	}
	if (self->has_lane) {
		self->has_lane = false;
		sem_post(&l->lane);
	}
	atomic_store(&self->done, true);
	sem_post(&l->finished);
	return NULL;
}

/* Until every thread has returned: one wake-up per round, since a thread
 * may be between its last look at the session and its read() when the
 * signal comes. */
static void stop_threads(struct loop *l)
{
	for (;;) {
		unsigned running = 0;
		for (unsigned i = 0; i < l->max_threads; i++) {
			if (l->threads[i].live && !atomic_load(&l->threads[i].done)) {
				pthread_kill(l->threads[i].id, WAKE_SIGNAL);
				running++;
			}
		}
		if (!running)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}

unsigned loop_answer_journal(struct fuse_session *se, bool raw, struct inflight *journal)
{
	struct loop l = { .se = se, .fd = fuse_session_fd(se), .raw = raw };
	return inflight_replay(journal, answer, &l);
}

/* Two per CPU: one answering while the other's reply wakes its reader. */
static unsigned lanes_for(unsigned max_threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cpus > 0 ? 2 * (unsigned)cpus : 2;
	if (n > LOOP_MAX_LANES)
		n = LOOP_MAX_LANES;
	return n < max_threads ? n : max_threads;
}

int loop_serve(struct fuse_session *se, unsigned max_threads, bool raw, struct inflight *journal)
{
	struct loop l = { .se = se, .fd = fuse_session_fd(se), .raw = raw, .journal = journal,
			  .bufsize = loop_request_size(), .max_threads = max_threads ? max_threads : 1,
			  .lock = PTHREAD_MUTEX_INITIALIZER };

	int r = inflight_layout(journal, l.max_threads, l.bufsize);
	if (r < 0) {
		log_err("cannot lay out the in-flight journal: %s", strerror(-r));
		return r;
	}
	l.threads = calloc(l.max_threads, sizeof(*l.threads));
	if (!l.threads || sem_init(&l.finished, 0, 0) < 0 || sem_init(&l.lane, 0, lanes_for(l.max_threads)) < 0) {
		free(l.threads);
		return -ENOMEM;
	}
	slow_set_hooks(lane_give_up, lane_take_back);
	thread_wake_signal(WAKE_SIGNAL);
	r = start_thread(&l);
	if (r < 0) {
		log_err("cannot start a request thread: %s", strerror(-r));
		fuse_session_exit(se);
	}
	/* A stop signal's handler calls loop_stop; a thread that met the end
	 * of the connection posts. */
	atomic_store(&running, &l);
	while (!ended(&l))
		sem_wait(&l.finished);
	atomic_store(&running, NULL);

	/* No thread starts or retires once serving ended: the live ones
	 * are those to join. */
	pthread_mutex_lock(&l.lock);
	pthread_mutex_unlock(&l.lock);
	stop_threads(&l);
	for (unsigned i = 0; i < l.max_threads; i++) {
		if (l.threads[i].live)
			pthread_join(l.threads[i].id, NULL);
	}
	sem_destroy(&l.finished);
	sem_destroy(&l.lane);
	free(l.threads);
	fuse_session_reset(se);
	if (r < 0)
		return r;
	return atomic_load(&l.error);
}

void loop_stop(void)
{
	atomic_store(&stop_requested, true);
	struct loop *l = atomic_load(&running);
	if (l)
		sem_post(&l->finished);
}
