/* Per-container CPU time accounting for /proc/stat.
 *
 * Each read gives a sample (the container's CPU time, per host CPU on v1 or
 * as totals on v2, and the host's ticks on each shown CPU); the state folds
 * it in and returns the times to show. What is shown only ever grows: a CPU
 * that moves (cpuset or quota change) continues from where its slot was, a
 * counter that restarts (cgroup recreated) counts from its new zero, and on
 * v2 the totals' growth is spread over the shown CPUs so the per-CPU lines
 * add up to cpu.stat exactly. Idle absorbs whatever the host's CPU did that
 * the container did not, so user+system+idle advances like wall time.
 *
 * States are kept per container key and forgotten once unused for
 * CPUSTAT_MAX_IDLE seconds. No I/O here. */
#ifndef CVIEWFS_CPUSTAT_H
#define CVIEWFS_CPUSTAT_H

#include <stdbool.h>
#include <stdint.h>

#define CPUSTAT_MAX_IDLE 600.0

struct cpustat_sample {
	uint64_t taken_ns;           /* monotonic time before its inputs were read */
	unsigned n;                  /* shown CPUs */
	const unsigned *host_cpu;    /* [n] host CPU behind each */
	const uint64_t *host_ticks;  /* [n] host's ticks on it, all states */
	bool percpu;
	const uint64_t *user;        /* [n] container ticks on it, when percpu */
	const uint64_t *system;
	uint64_t user_total;         /* container ticks, when !percpu */
	uint64_t system_total;
};

struct cpustat_times {
	uint64_t user, system, idle;
};

struct cpustat_state;

struct cpustat_state *cpustat_state_new(void);
void cpustat_state_free(struct cpustat_state *st);
/* Folds s into st; out[0..n-1] gets each shown CPU, *sum the "cpu" line.
 * A sample taken before the last one folded in (two readers' renders
 * racing) changes nothing: its older counters would look like restarts. */
void cpustat_advance(struct cpustat_state *st, const struct cpustat_sample *s,
		     struct cpustat_times *out, struct cpustat_times *sum);

/* The state of container `key`, created on first use, locked until
 * released. `now` is a monotonic time in seconds, for forgetting. */
struct cpustat_state *cpustat_acquire(const char *key, double now);
void cpustat_release(struct cpustat_state *st);
/* fn runs (in cpustat_release, no lock held) after values were made that
 * a successor could not compute from an older save, before they are
 * shown: a container's first values (from its counters since it started,
 * not from steps), and those after the number of shown CPUs changed or a
 * shown CPU moved. Between such events the values are a function of the
 * counters alone, however the reads split the time, so a successor
 * restored from a save up to a second old shows no less than its
 * predecessor did (serve/state.c saves at once). */
void cpustat_on_first_sight(void (*fn)(void));
unsigned cpustat_count(void);
void cpustat_forget_all(void);

/* Carrying the states over to a successor process (an upgrade or a
 * restart after a crash), as text: cpustat_save appends every state,
 * cpustat_restore adds those it does not have yet and returns how many. */
struct strbuf;
void cpustat_save(struct strbuf *out);
unsigned cpustat_restore(const char *text, double now);
/* Grows whenever a state may have changed. */
uint64_t cpustat_changes(void);

#endif
