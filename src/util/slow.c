#include "util/slow.h"
#include "util/thread.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <unistd.h>

typedef void (*hook_fn)(void);
static _Atomic hook_fn begin_hook, end_hook;

void slow_begin(void)
{
	hook_fn f = atomic_load_explicit(&begin_hook, memory_order_acquire);
	if (f)
		f();
}

void slow_end(void)
{
	hook_fn f = atomic_load_explicit(&end_hook, memory_order_acquire);
	if (f)
		f();
}

void slow_set_hooks(void (*begin)(void), void (*end)(void))
{
	atomic_store_explicit(&end_hook, end, memory_order_release);
	atomic_store_explicit(&begin_hook, begin, memory_order_release);
}

#define NOT_LOWERED INT_MIN
#define LOWEST_NICE 19

static bool can_restore;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

/* The nice value of the calling thread (a per-thread attribute on Linux),
 * or NOT_LOWERED if it cannot be read. */
static int own_nice(void)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, (id_t)gettid());
	return errno ? NOT_LOWERED : n;
}

/* In a thread of its own: one left lowered by a failed probe is gone. */
static void *probe(void *arg)
{
	(void)arg;
	int n = own_nice();
	if (n != NOT_LOWERED && n < LOWEST_NICE && setpriority(PRIO_PROCESS, (id_t)gettid(), n + 1) == 0 &&
	    setpriority(PRIO_PROCESS, (id_t)gettid(), n) == 0)
		can_restore = true;
	return NULL;
}

static void probe_restore(void)
{
	pthread_t t;
	if (thread_start(&t, 0, probe, NULL) == 0)
		pthread_join(t, NULL);
}

int slow_lower_priority(void)
{
	pthread_once(&probe_once, probe_restore);
	if (!can_restore)
		return NOT_LOWERED;
	int n = own_nice();
	if (n == NOT_LOWERED || n >= LOWEST_NICE ||
	    setpriority(PRIO_PROCESS, (id_t)gettid(), LOWEST_NICE) < 0)
		return NOT_LOWERED;
	return n;
}

void slow_restore_priority(int saved)
{
	if (saved != NOT_LOWERED)
		setpriority(PRIO_PROCESS, (id_t)gettid(), saved);
}
