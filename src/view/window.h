/* The render window: how long a rendered file (and a reader's resolved
 * view, reader.h) is served to every reader of the container before the
 * next read renders afresh.
 *
 * One USER_HZ tick (10 ms) while the daemon keeps up: the finest unit
 * /proc/stat and /proc/uptime print in. Under load the window stretches,
 * up to WINDOW_LOAD_MAX ticks: with 64 containers each reading in a loop,
 * a 10 ms window makes a render of nearly every read, and the renders,
 * not the readers, then decide everyone's throughput and latency. Two
 * signals, the larger wins:
 *  - more requests answered at once than there are CPUs (the excess);
 *  - renders taking more than 1/WINDOW_RENDER_SHARE of a CPU over the
 *    last epoch (WINDOW_EPOCH_NS): the window grows by the overrun, so
 *    that renders, which come once per window per container and file
 *    when they are read in a loop, fall back under that share.
 * A reader cannot tell the difference, except that two reads within the
 * window show the same values; nothing goes back.
 *
 * A key whose render is costly gets a longer window still, counted from
 * the render's end, so that its renders take at most 1/WINDOW_COST_SHARE
 * of a CPU however often it is read (/proc/stat of a container of 20,000
 * threads counts every thread's state): the daemon's time for one
 * container is bounded, and its neighbours keep theirs. At most
 * WINDOW_MAX_NS after the render's end. */
#ifndef CVIEWFS_WINDOW_H
#define CVIEWFS_WINDOW_H

#include <stdint.h>

#define WINDOW_BASE_NS 10000000ULL
#define WINDOW_LOAD_MAX 8
#define WINDOW_COST_SHARE 20
#define WINDOW_MAX_NS 5000000000ULL
#define WINDOW_RENDER_SHARE 10
#define WINDOW_EPOCH_NS 100000000ULL

/* The stretch factor (1..WINDOW_LOAD_MAX) for `busy` requests being
 * answered at once on `cpus` CPUs. Pure. */
unsigned window_stretch_for(unsigned busy, unsigned cpus);
/* The window of a render that cost cost_ns of CPU under that stretch.
 * Pure. */
uint64_t window_for(unsigned stretch, uint64_t cost_ns);

/* How long after its inputs were gathered (born) a render that cost
 * cost_ns of CPU and ended elapsed_ns after born is served. Pure. */
uint64_t window_ttl(unsigned stretch, uint64_t cost_ns, uint64_t elapsed_ns);

/* The stretch for the next epoch, given this one's (stretch), the CPU
 * time renders took in it (spent_ns) and its length. Pure. */
unsigned window_budget_stretch(unsigned stretch, uint64_t spent_ns, uint64_t epoch_ns);

/* A render finished at `now` (monotonic ns) after costing cost_ns of CPU. */
void window_render_spent(uint64_t cost_ns, uint64_t now);

/* A request thread starts and ends answering a request. */
void window_busy_enter(void);
void window_busy_leave(void);
/* The stretch factor now, and the window of a render that cost cost_ns. */
unsigned window_stretch(void);
uint64_t window_ns(uint64_t cost_ns);

/* CPU time of the calling thread, ns: what a render costs the daemon. */
uint64_t window_thread_cpu_ns(void);

#endif
