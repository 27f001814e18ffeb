/* The render window: 10 ms while the daemon keeps up, stretched under load
 * and for costly renders, bounded. */
#include "tap.h"
#include "view/window.h"

#define MS 1000000ULL

static void test_stretch(void)
{
	is_u64(window_stretch_for(0, 2), 1, "idle: no stretch");
	is_u64(window_stretch_for(1, 2), 1, "one request on 2 CPUs: no stretch");
	is_u64(window_stretch_for(3, 2), 1, "3 requests on 2 CPUs: still one per CPU and a half");
	is_u64(window_stretch_for(4, 2), 2, "4 requests on 2 CPUs: twice");
	is_u64(window_stretch_for(16, 2), 8, "16 requests on 2 CPUs: 8 times");
	is_u64(window_stretch_for(64, 2), WINDOW_LOAD_MAX, "64 requests on 2 CPUs: capped");
	is_u64(window_stretch_for(16, 64), 1, "16 requests on 64 CPUs: no stretch");
	is_u64(window_stretch_for(5, 0), 5, "unknown CPU count: counted as one");
}

static void test_window(void)
{
	is_u64(window_for(1, 0), 10 * MS, "a cheap render, no load: one tick");
	is_u64(window_for(0, 0), 10 * MS, "stretch 0 is taken as 1");
	is_u64(window_for(8, 40000), 80 * MS, "under the most load: 8 ticks");
	is_u64(window_for(1, 400000), 10 * MS, "a 0.4 ms render fits in 1/20 of a 10 ms window");
	is_u64(window_for(1, 2 * MS), 40 * MS, "a 2 ms render: 40 ms, 1/20 of a CPU");
	is_u64(window_for(8, 2 * MS), 80 * MS, "the longer of the two bounds");
	is_u64(window_for(1, 30 * MS), 600 * MS, "a 30 ms render (20,000 threads counted): 600 ms");
	is_u64(window_for(1, 200 * MS), 4000 * MS, "a 200 ms render: 4 s");
	is_u64(window_for(1, 300 * MS), WINDOW_MAX_NS, "capped at the maximum");
	is_u64(window_for(1, UINT64_MAX), WINDOW_MAX_NS, "a cost off a broken clock does not wrap");
}

static void test_ttl(void)
{
	is_u64(window_ttl(1, 50000, 1 * MS), 10 * MS, "a cheap render: its window counts from its inputs");
	is_u64(window_ttl(8, 50000, 1 * MS), 80 * MS, "also when stretched");
	is_u64(window_ttl(1, 30 * MS, 300 * MS), 900 * MS,
	       "a costly render that took 300 ms: 600 ms more after its end");
	is_u64(window_ttl(1, 300 * MS, 2000 * MS), 2000 * MS + WINDOW_MAX_NS, "the most after its end is the maximum");
	is_u64(window_ttl(1, 30 * MS, UINT64_MAX - 1), UINT64_MAX, "a broken clock does not wrap");
}

/* Renders past 1/WINDOW_RENDER_SHARE of a CPU stretch the window by the
 * overrun, and it comes back once they fit. */
static void test_budget(void)
{
	uint64_t epoch = 100 * MS, share = epoch / WINDOW_RENDER_SHARE;
	is_u64(window_budget_stretch(1, 0, epoch), 1, "no renders: no stretch");
	is_u64(window_budget_stretch(1, share, epoch), 1, "renders taking exactly the share: no stretch");
	is_u64(window_budget_stretch(1, share + 1, epoch), 2, "past the share: stretched (rounded up)");
	is_u64(window_budget_stretch(1, 3 * share, epoch), 3, "three times the share: three times the window");
	is_u64(window_budget_stretch(3, share, epoch), 3,
	       "at that stretch the renders fit the share: it holds (they would overrun again without it)");
	is_u64(window_budget_stretch(4, share / 2, epoch), 2, "the load halves: so does the stretch");
	is_u64(window_budget_stretch(8, 0, epoch), 1, "no renders in an epoch: back to one tick");
	is_u64(window_budget_stretch(1, 2 * epoch, epoch), WINDOW_LOAD_MAX, "renders on two CPUs: the most stretch");
	is_u64(window_budget_stretch(2, UINT64_MAX, epoch), WINDOW_LOAD_MAX, "a cost off a broken clock does not wrap");
	is_u64(window_budget_stretch(8, 4 * share, 10 * epoch), 4, "a long epoch: the share is of its length");
	is_u64(window_budget_stretch(5, 1, 0), 5, "an epoch of no length changes nothing");
}

static void test_busy(void)
{
	unsigned before = window_stretch();
	for (int i = 0; i < 1000; i++)
		window_busy_enter();
	ok(window_stretch() == WINDOW_LOAD_MAX, "1000 requests at once: the most stretch");
	for (int i = 0; i < 1000; i++)
		window_busy_leave();
	is_u64(window_stretch(), before, "back to what it was once they are answered");
	ok(window_thread_cpu_ns() > 0, "the thread's CPU time is readable");
}

int main(void)
{
	test_stretch();
	test_window();
	test_ttl();
	test_budget();
	test_busy();
	return tap_done();
}
