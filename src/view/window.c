#include "view/window.h"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static _Atomic unsigned busy;
static _Atomic unsigned online_cpus;

unsigned window_stretch_for(unsigned busy_now, unsigned cpus)
{
	unsigned s = cpus ? busy_now / cpus : busy_now;
	if (s < 1)
		return 1;
	return s > WINDOW_LOAD_MAX ? WINDOW_LOAD_MAX : s;
}

uint64_t window_for(unsigned stretch, uint64_t cost_ns)
{
	uint64_t w = WINDOW_BASE_NS * (stretch ? stretch : 1);
	/* Compared before multiplying: a cost read off a broken clock must
	 * not wrap around into a short window. */
	if (cost_ns >= WINDOW_MAX_NS / WINDOW_COST_SHARE)
		return WINDOW_MAX_NS;
	if (cost_ns * WINDOW_COST_SHARE > w)
		w = cost_ns * WINDOW_COST_SHARE;
	return w > WINDOW_MAX_NS ? WINDOW_MAX_NS : w;
}

uint64_t window_ttl(unsigned stretch, uint64_t cost_ns, uint64_t elapsed_ns)
{
	uint64_t plain = window_for(stretch, 0), w = window_for(stretch, cost_ns);
	/* A cheap render's window counts from its inputs, which bounds how
	 * old a served value can be; a costly one's from its end, which
	 * bounds how often it runs. */
	if (w == plain)
		return plain;
	/* elapsed_ns off a broken clock must not wrap around. */
	return elapsed_ns < UINT64_MAX - w ? elapsed_ns + w : UINT64_MAX;
}

void window_busy_enter(void)
{
	atomic_fetch_add_explicit(&busy, 1, memory_order_relaxed);
}

void window_busy_leave(void)
{
	atomic_fetch_sub_explicit(&busy, 1, memory_order_relaxed);
}

static unsigned cpus(void)
{
	unsigned n = atomic_load_explicit(&online_cpus, memory_order_relaxed);
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (unsigned)c : 1;
		atomic_store_explicit(&online_cpus, n, memory_order_relaxed);
	}
	return n;
}

unsigned window_stretch(void)
{
	return window_stretch_for(atomic_load_explicit(&busy, memory_order_relaxed), cpus());
}

uint64_t window_ns(uint64_t cost_ns)
{
	return window_for(window_stretch(), cost_ns);
}

uint64_t window_thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
