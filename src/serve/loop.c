#include "serve/loop.h"
#include "fs/ops.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct loop;

struct request_thread {
	pthread_t id;
	struct fuse_buf buf; /* freed after the join: a cancelled thread cannot */
	struct loop *loop;
};

struct loop {
	struct fuse_session *se;
	int fd;
	bool raw;            /* OPEN, READ and RELEASE answered by ops_answer_raw */
	unsigned max_threads;
	pthread_mutex_t lock; /* threads[], nthreads */
	struct request_thread *threads;
	unsigned nthreads;
	_Atomic unsigned idle; /* threads waiting for a request */
	_Atomic int error;     /* first fatal receive error */
	sem_t finished;        /* posted by a thread that stops by itself, or loop_wake */
};

static struct loop *_Atomic running;

static void *request_thread(void *arg);

/* With every signal blocked: signals are for the thread that waits in
 * loop_serve (a stop must reach it). */
static int start_thread(struct loop *l)
{
	sigset_t all, old;
	int r = 0;

	pthread_mutex_lock(&l->lock);
	/* Once the session ended, loop_serve counts the threads to stop:
	 * none may start after that. */
	if (l->nthreads >= l->max_threads || fuse_session_exited(l->se)) {
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	struct request_thread *t = &l->threads[l->nthreads];
	t->loop = l;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&t->id, NULL, request_thread, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0) {
		l->nthreads++;
		atomic_fetch_add(&l->idle, 1);
	}
	pthread_mutex_unlock(&l->lock);
	return -r;
}

static void *request_thread(void *arg)
{
	struct request_thread *self = arg;
	struct loop *l = self->loop;
	struct fuse_buf *buf = &self->buf;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	while (!fuse_session_exited(l->se)) {
		/* Cancelled (at the end of serving) only while waiting for a
		 * request: one being answered is always answered. */
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		int n = fuse_session_receive_buf(l->se, buf);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (n == -EINTR)
			continue;
		if (n <= 0) { /* 0: the connection ended (ENODEV) */
			if (n < 0) {
				int none = 0;
				atomic_compare_exchange_strong(&l->error, &none, n);
				fuse_session_exit(l->se);
			}
			break;
		}
		/* The last idle thread took a request: another one waits for
		 * the next, as libfuse's loop does. */
		if (atomic_fetch_sub(&l->idle, 1) == 1)
			start_thread(l);
		if (!l->raw || (buf->flags & FUSE_BUF_IS_FD) || !ops_answer_raw(l->fd, buf->mem, (size_t)n))
			fuse_session_process_buf(l->se, buf);
		atomic_fetch_add(&l->idle, 1);
	}
	sem_post(&l->finished);
	return NULL;
}

int loop_serve(struct fuse_session *se, unsigned max_threads, bool raw)
{
	struct loop l = { .se = se, .fd = fuse_session_fd(se), .raw = raw,
			  .max_threads = max_threads ? max_threads : 1,
			  .lock = PTHREAD_MUTEX_INITIALIZER };

	l.threads = calloc(l.max_threads, sizeof(*l.threads));
	if (!l.threads || sem_init(&l.finished, 0, 0) < 0) {
		free(l.threads);
		return -ENOMEM;
	}
	int r = start_thread(&l);
	if (r < 0) {
		log_err("cannot start a request thread: %s", strerror(-r));
		fuse_session_exit(se);
	}
	/* A stop signal's handler ends the session and calls loop_wake; a
	 * thread that met the end of the connection posts. */
	atomic_store(&running, &l);
	while (!fuse_session_exited(se))
		sem_wait(&l.finished);
	atomic_store(&running, NULL);

	pthread_mutex_lock(&l.lock);
	unsigned n = l.nthreads;
	pthread_mutex_unlock(&l.lock);
	for (unsigned i = 0; i < n; i++)
		pthread_cancel(l.threads[i].id);
	for (unsigned i = 0; i < n; i++) {
		pthread_join(l.threads[i].id, NULL);
		free(l.threads[i].buf.mem);
	}
	sem_destroy(&l.finished);
	free(l.threads);
	fuse_session_reset(se);
	if (r < 0)
		return r;
	return atomic_load(&l.error);
}

void loop_wake(void)
{
	struct loop *l = atomic_load(&running);
	if (l)
		sem_post(&l->finished);
}
