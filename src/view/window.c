#include "view/window.h"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static _Atomic unsigned busy;
static _Atomic unsigned online_cpus;

/* The render budget: CPU time renders took since epoch_start, and the
 * stretch it gave at the end of the last epoch. */
static _Atomic uint64_t epoch_start, epoch_spent;
static _Atomic unsigned budget_stretch = 1;

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

unsigned window_budget_stretch(unsigned stretch, uint64_t spent_ns, uint64_t epoch_ns)
{
	if (!epoch_ns)
		return stretch ? stretch : 1;
	/* Renders of keys read in a loop come once per window: at stretch s
	 * they cost 1/s of what they would unstretched, so the stretch that
	 * brings them to the share is s times the overrun. Compared before
	 * multiplying: a broken clock's cost must not wrap. */
	uint64_t budget = epoch_ns / WINDOW_RENDER_SHARE;
	if (!budget || spent_ns / budget >= WINDOW_LOAD_MAX)
		return WINDOW_LOAD_MAX;
	uint64_t s = (uint64_t)(stretch ? stretch : 1) * spent_ns;
	s = (s + budget - 1) / budget; /* rounded up: the share is a bound */
	if (s < 1)
		return 1;
	return s > WINDOW_LOAD_MAX ? WINDOW_LOAD_MAX : (unsigned)s;
}

void window_render_spent(uint64_t cost_ns, uint64_t now)
{
	atomic_fetch_add_explicit(&epoch_spent, cost_ns, memory_order_relaxed);
	uint64_t start = atomic_load_explicit(&epoch_start, memory_order_relaxed);
	if (now < start || now - start < WINDOW_EPOCH_NS)
		return;
	/* One render closes the epoch; the others go on counting. */
	if (!atomic_compare_exchange_strong(&epoch_start, &start, now))
		return;
	uint64_t spent = atomic_exchange(&epoch_spent, 0);
	/* The first epoch (start 0) has no known length: counted as one. */
	uint64_t len = start ? now - start : WINDOW_EPOCH_NS;
	unsigned s = atomic_load_explicit(&budget_stretch, memory_order_relaxed);
	atomic_store_explicit(&budget_stretch, window_budget_stretch(s, spent, len), memory_order_relaxed);
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
	unsigned by_load = window_stretch_for(atomic_load_explicit(&busy, memory_order_relaxed), cpus());
	unsigned by_budget = atomic_load_explicit(&budget_stretch, memory_order_relaxed);
	return by_budget > by_load ? by_budget : by_load;
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
