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
	static uint64_t clock_ns;
	*s = (struct cpustat_sample){ ++clock_ns, n, host_cpu, ticks, percpu, user, sys, ut, st };
}

/* True if every counter in a (n CPUs and the sum) is at least b's. */
static bool no_less(const struct cpustat_times *a, const struct cpustat_times *a_sum,
		    const struct cpustat_times *b, const struct cpustat_times *b_sum, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (a[k].user < b[k].user || a[k].system < b[k].system || a[k].idle < b[k].idle)
			return false;
	return a_sum->user >= b_sum->user && a_sum->system >= b_sum->system && a_sum->idle >= b_sum->idle;
}

/* One step of a random history on host CPUs 0..n-1: each CPU's ticks
 * advance 10 (now and then one less: /proc/stat's idle estimate steps
 * back), the container uses 0-12 ticks of CPU time on each (on v2 more
 * than one CPU's worth can land on one shown CPU). */
static void random_step(struct world *w, unsigned n)
{
	for (unsigned c = 0; c < n; c++) {
		w->host_ticks[c] += rand() % 7 ? 10 : 9;
		unsigned busy = (unsigned)rand() % 13;
		w->user[c] += busy / 2;
		w->system[c] += busy - busy / 2;
	}
}

/* The same raw history, seen by a process that samples it at every step
 * and dies after step `death`, having last saved after step `save`, and by
 * its successor, restored from that save, which samples at steps of its
 * own from death + 1 on. Nothing the successor shows may be less than what
 * the dead process showed last. */
static bool split_history_monotonic(bool percpu, unsigned n, unsigned seed)
{
	struct world w = { { 0 }, { 0 }, { 0 } }, hist[64];
	unsigned host_cpu[MAXCPU] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	uint64_t ticks[MAXCPU], user[MAXCPU], sys[MAXCPU];
	struct cpustat_times out[MAXCPU], sum, dead[MAXCPU], dead_sum;
	struct cpustat_sample s;
	struct strbuf saved = STRBUF_INIT;
	bool good = true;

	srand(seed);
	for (unsigned c = 0; c < n; c++)
		w.host_ticks[c] = 100000 + (unsigned)rand() % 1000;
	for (unsigned t = 0; t < 64; t++) {
		random_step(&w, n);
		hist[t] = w;
	}
	unsigned save = (unsigned)rand() % 30, death = save + 1 + (unsigned)rand() % 30;
	struct cpustat_state *st = cpustat_acquire("v:/split", 0);
	for (unsigned t = 0; t <= death; t++) {
		sample_of(&hist[t], host_cpu, n, percpu, ticks, user, sys, &s);
		cpustat_advance(st, &s, dead, &dead_sum);
		if (t == save) {
			cpustat_release(st);
			cpustat_save(&saved);
			st = cpustat_acquire("v:/split", 0);
		}
	}
	cpustat_release(st);
	cpustat_forget_all();
	cpustat_restore(sb_str(&saved), 0);
	st = cpustat_acquire("v:/split", 0);
	for (unsigned t = death + 1 + (unsigned)rand() % 3; t < 64; t += 1 + (unsigned)rand() % 5) {
		sample_of(&hist[t], host_cpu, n, percpu, ticks, user, sys, &s);
		cpustat_advance(st, &s, out, &sum);
		good = good && no_less(out, &sum, dead, &dead_sum, n);
	}
	cpustat_release(st);
	cpustat_forget_all();
	sb_free(&saved);
	return good;
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

	/* The same histories, split differently across a crash and a restore
	 * from an older save: 500 random ones each, one to four CPUs. */
	for (int v = 0; v < 2; v++) {
		unsigned bad = 0;
		for (unsigned seed = 1; seed <= 500; seed++)
			bad += !split_history_monotonic(v == 0, 1 + seed % 4, seed);
		is_u64(bad, 0, "%s: 500 histories split differently across a crash and a restore "
		       "from an older save: the successor never shows less", v == 0 ? "v1" : "v2");
	}

	/* Two readers' renders racing: a sample read before the last one
	 * folded in must not count its older counters as restarts. */
	memset(&w, 0, sizeof(w));
	w.host_ticks[0] = 5000;
	w.user[0] = 300;
	st = cpustat_state_new();
	struct cpustat_sample older;
	uint64_t o_ticks[1], o_user[1], o_sys[1];
	sample_of(&w, cpu0, 1, true, o_ticks, o_user, o_sys, &older);
	w.host_ticks[0] += 100;
	w.user[0] += 20;
	sample_of(&w, cpu0, 1, true, ticks, user, sys, &s);
	cpustat_advance(st, &s, out, &sum);
	struct cpustat_times newest = out[0];
	cpustat_advance(st, &older, out, &sum);
	ok(out[0].user == newest.user && out[0].idle == newest.idle,
	   "a sample older than the last one changes nothing (user %llu, want %llu)",
	   (unsigned long long)out[0].user, (unsigned long long)newest.user);
	/* The host's per-CPU ticks step back by one (idle is estimated while
	 * a CPU sleeps): not a restart of the counter. */
	w.host_ticks[0] -= 1;
	sample_of(&w, cpu0, 1, true, ticks, user, sys, &s);
	cpustat_advance(st, &s, out, &sum);
	w.host_ticks[0] += 11;
	sample_of(&w, cpu0, 1, true, ticks, user, sys, &s);
	cpustat_advance(st, &s, out, &sum);
	is_u64(out[0].idle, newest.idle + 10, "host ticks stepping back by one: idle grows by what "
	       "the CPU really advanced (10), not by its whole count");
	cpustat_state_free(st);

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
	/* So do the events a successor could not replay from an older save:
	 * the number of shown CPUs changing (v2), a CPU first seen or moved. */
	unsigned cpus01b[] = { 0, 1 }, cpus12[] = { 1, 2 };
	struct cpustat_state *ev = cpustat_acquire("v2:/first", 0);
	sample_of(&w, cpus01b, 2, false, ticks, user, sys, &s);
	cpustat_advance(ev, &s, out, &sum);
	cpustat_release(ev);
	is_u64(first_sights, 2, "the hook runs when the number of shown CPUs changes");
	ev = cpustat_acquire("v2:/first", 0);
	sample_of(&w, cpus12, 2, false, ticks, user, sys, &s);
	cpustat_advance(ev, &s, out, &sum);
	cpustat_release(ev);
	is_u64(first_sights, 3, "and when a shown CPU moves to another host CPU");
	ev = cpustat_acquire("v2:/first", 0);
	w.host_ticks[1] += 5;
	sample_of(&w, cpus12, 2, false, ticks, user, sys, &s);
	cpustat_advance(ev, &s, out, &sum);
	cpustat_release(ev);
	is_u64(first_sights, 3, "but not on an ordinary step");
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
