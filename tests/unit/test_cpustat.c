/* Per-container CPU accounting: monotonic, exact, like wall time. */
#include "tap.h"
#include "util/strbuf.h"
#include "view/cpustat.h"

#include <stdlib.h>
#include <string.h>

#define MAXCPU 8

struct world {
	uint64_t host_ticks[MAXCPU];            /* per host CPU */
	uint64_t user[MAXCPU], system[MAXCPU];  /* container, per host CPU */
};

static void sample_of(const struct world *w, const unsigned *host_cpu, unsigned n, bool percpu,
		      uint64_t *ticks, uint64_t *user, uint64_t *sys, struct cpustat_sample *s)
{
	uint64_t ut = 0, st = 0;
	for (unsigned c = 0; c < MAXCPU; c++) {
		ut += w->user[c];
		st += w->system[c];
	}
	for (unsigned k = 0; k < n; k++) {
		ticks[k] = w->host_ticks[host_cpu[k]];
		user[k] = w->user[host_cpu[k]];
		sys[k] = w->system[host_cpu[k]];
	}
	*s = (struct cpustat_sample){ n, host_cpu, ticks, percpu, user, sys, ut, st };
}

static unsigned first_sights;
static void count_first_sight(void)
{
	first_sights++;
}

int main(void)
{
	struct world w = { { 0 }, { 0 }, { 0 } };
	uint64_t ticks[MAXCPU], user[MAXCPU], sys[MAXCPU];
	struct cpustat_times out[MAXCPU], sum;
	struct cpustat_sample s;
	unsigned cpus01[] = { 0, 1 };

	/* v1: one second (100 ticks) on two CPUs, container busy 50 on CPU 1 */
	struct cpustat_state *st = cpustat_state_new();
	for (int c = 0; c < MAXCPU; c++)
		w.host_ticks[c] = 1000;
	w.user[1] = 10;
	sample_of(&w, cpus01, 2, true, ticks, user, sys, &s);
	cpustat_advance(st, &s, out, &sum);
	is_u64(out[1].user, 10, "v1 first read: the container's own time on CPU 1");
	is_u64(out[1].idle, 990, "v1 first read: idle is the rest of the CPU's time since boot");
	w.host_ticks[0] += 100;
	w.host_ticks[1] += 100;
	w.user[1] += 40;
	w.system[1] += 10;
	sample_of(&w, cpus01, 2, true, ticks, user, sys, &s);
	cpustat_advance(st, &s, out, &sum);
	is_u64(out[1].user + out[1].system + out[1].idle, 1100, "v1: user+system+idle advances like wall time");
	is_u64(out[1].idle, 990 + 50, "v1: half busy, half idle over the second");
	is_u64(out[0].idle, 1100, "v1: an unused CPU is all idle, whatever the host did");
	is_u64(sum.user, out[0].user + out[1].user, "v1: the sum line adds up the CPUs");
	cpustat_state_free(st);

	/* v2: only totals; spread so that the lines add up exactly */
	st = cpustat_state_new();
	unsigned cpus0123[] = { 0, 1, 2, 3 };
	memset(&w, 0, sizeof(w));
	for (int c = 0; c < MAXCPU; c++)
		w.host_ticks[c] = 5000;
	for (int round = 0; round < 50; round++) {
		for (int c = 0; c < 4; c++)
			w.host_ticks[c] += 100;
		w.user[round % 3] += 37 + round;
		w.system[2] += 3;
		sample_of(&w, cpus0123, 4, false, ticks, user, sys, &s);
		cpustat_advance(st, &s, out, &sum);
	}
	uint64_t total_user = 0, lines_user = 0, lines_sys = 0;
	for (int c = 0; c < MAXCPU; c++)
		total_user += w.user[c];
	for (int k = 0; k < 4; k++) {
		lines_user += out[k].user;
		lines_sys += out[k].system;
	}
	is_u64(lines_user, total_user, "v2: per-CPU user adds up to cpu.stat's user exactly");
	is_u64(lines_sys, 150, "v2: per-CPU system adds up to cpu.stat's system exactly");
	is_u64(sum.user, total_user, "v2: the cpu line's user is cpu.stat's");
	cpustat_state_free(st);

	/* 10,000 reads while the cpuset and quota change, CPUs move, and the
	 * container's counters restart once: nothing shown ever decreases. */
	st = cpustat_state_new();
	memset(&w, 0, sizeof(w));
	srand(42);
	struct cpustat_times prev[MAXCPU] = { { 0, 0, 0 } }, prev_sum = { 0, 0, 0 };
	unsigned prev_n = 0;
	bool monotonic = true, sum_monotonic = true;
	for (int round = 0; round < 10000; round++) {
		bool percpu = round < 5000; /* v1 first, then v2-style totals */
		unsigned n = 1 + (unsigned)rand() % MAXCPU;
		unsigned host_cpu[MAXCPU];
		unsigned first = (unsigned)rand() % (MAXCPU - n + 1);
		for (unsigned k = 0; k < n; k++)
			host_cpu[k] = first + k;
		for (int c = 0; c < MAXCPU; c++) {
			unsigned busy = (unsigned)rand() % 11;
			w.host_ticks[c] += 10;
			w.user[c] += busy / 2;
			w.system[c] += busy - busy / 2 > 5 ? 5 : busy - busy / 2;
		}
		if (round == 7000)
			memset(w.user, 0, sizeof(w.user)); /* cgroup recreated */
		sample_of(&w, host_cpu, n, percpu, ticks, user, sys, &s);
		cpustat_advance(st, &s, out, &sum);
		for (unsigned k = 0; k < n && k < prev_n; k++)
			if (out[k].user < prev[k].user || out[k].system < prev[k].system || out[k].idle < prev[k].idle)
				monotonic = false;
		if (sum.user < prev_sum.user || sum.system < prev_sum.system || sum.idle < prev_sum.idle)
			sum_monotonic = false;
		memcpy(prev, out, sizeof(out));
		prev_sum = sum;
		prev_n = n;
	}
	ok(monotonic, "10,000 reads with changing CPUs and limits: no per-CPU counter decreases");
	ok(sum_monotonic, "10,000 reads: the cpu line never decreases");
	cpustat_state_free(st);

	/* A successor restored from a save older than what its predecessor
	 * showed: the same raw history, split in steps by the predecessor and
	 * in one step by the successor. v2 totals on one shown CPU; the
	 * container first runs 150 ticks elsewhere while host CPU 0 advances
	 * 100 (idle clamped: +0), then nothing (+100 idle). */
	unsigned cpu0[] = { 0 };
	memset(&w, 0, sizeof(w));
	w.host_ticks[0] = 1000;
	struct cpustat_state *pre = cpustat_acquire("v2:/split", 0);
	sample_of(&w, cpu0, 1, false, ticks, user, sys, &s);
	cpustat_advance(pre, &s, out, &sum);
	cpustat_release(pre);
	struct strbuf saved = STRBUF_INIT;
	cpustat_save(&saved);
	struct cpustat_times shown[2];
	pre = cpustat_acquire("v2:/split", 0);
	w.host_ticks[0] += 100;
	w.user[1] += 150;
	sample_of(&w, cpu0, 1, false, ticks, user, sys, &s);
	cpustat_advance(pre, &s, out, &sum);
	w.host_ticks[0] += 100;
	sample_of(&w, cpu0, 1, false, ticks, user, sys, &s);
	cpustat_advance(pre, &s, out, &sum);
	shown[0] = out[0];
	cpustat_release(pre);
	/* The predecessor dies; its successor starts from the save. */
	cpustat_forget_all();
	is_u64(cpustat_restore(sb_str(&saved), 0), 1, "the successor restores the saved state");
	struct cpustat_state *succ = cpustat_acquire("v2:/split", 0);
	cpustat_advance(succ, &s, out, &sum);
	shown[1] = out[0];
	ok(shown[1].idle >= shown[0].idle && shown[1].user == shown[0].user &&
	   shown[1].system == shown[0].system,
	   "after a restore, nothing shows less than the predecessor showed for the same raw values "
	   "(idle %llu vs %llu, user %llu vs %llu)", (unsigned long long)shown[1].idle,
	   (unsigned long long)shown[0].idle, (unsigned long long)shown[1].user,
	   (unsigned long long)shown[0].user);
	w.host_ticks[0] += 100;
	w.user[1] += 60;
	sample_of(&w, cpu0, 1, false, ticks, user, sys, &s);
	uint64_t idle_before = out[0].idle;
	cpustat_advance(succ, &s, out, &sum);
	is_u64(out[0].idle - idle_before, 40, "the next step counts idle as usual (100 ticks, 60 busy)");
	cpustat_release(succ);
	cpustat_forget_all();
	sb_free(&saved);

	/* A container's first values are saved before they are shown; later
	 * ones ride on the periodic save. */
	cpustat_on_first_sight(count_first_sight);
	w.host_ticks[0] += 100;
	sample_of(&w, cpu0, 1, false, ticks, user, sys, &s);
	for (int i = 0; i < 3; i++) {
		struct cpustat_state *fs = cpustat_acquire("v2:/first", 0);
		cpustat_advance(fs, &s, out, &sum);
		cpustat_release(fs);
	}
	is_u64(first_sights, 1, "the first-sight hook runs once per new container");
	cpustat_on_first_sight(NULL);
	cpustat_forget_all();

	/* registry: one state per container key */
	struct cpustat_state *a = cpustat_acquire("v1:/a", 0);
	cpustat_release(a);
	struct cpustat_state *b = cpustat_acquire("v1:/b", 1);
	cpustat_release(b);
	ok(a != b && cpustat_acquire("v1:/a", 2) == a, "one state per container");
	cpustat_release(a);
	is_u64(cpustat_count(), 2, "two containers, two states");
	cpustat_release(cpustat_acquire("v1:/c", 2 + CPUSTAT_MAX_IDLE + 100));
	is_u64(cpustat_count(), 1, "containers unread for long are forgotten");
	cpustat_forget_all();
	return tap_done();
}
