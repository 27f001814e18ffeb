/* /proc/stat as fs/files.c renders it (render_stat_for): the host's ticks
 * of each visible CPU, the container's CPU times, folded by cpustat and
 * rendered. Shared by fuzz_proc_stat and fuzz_cpuacct. */
#ifndef CVIEWFS_FUZZ_PROCSTAT_H
#define CVIEWFS_FUZZ_PROCSTAT_H

#include "fuzz.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "view/cpustat.h"
#include "view/cpuview.h"

/* USER_HZ ticks of a nanosecond count. */
static inline uint64_t ns_ticks(uint64_t ns)
{
	return ns / 10000000;
}

static inline void procstat_render(const char *host_stat, const char *cpulist,
				   const struct cg_cpu_times *t)
{
	struct cpumask mask = CPUMASK_INIT;
	struct cpu_view v = CPU_VIEW_INIT;
	struct strbuf out = STRBUF_INIT;

	/* The daemon's cpusets come from a kernel with at most 8192 CPUs; a
	 * fuzzed "0-65535" would only make each input slow. */
	if (!cpumask_parse(cpulist, &mask) || cpumask_weight(&mask) > 1024) {
		cpumask_clear(&mask);
		cpumask_set(&mask, 0);
	}
	cpu_view_build(&mask, 0, true, &v);
	uint64_t *ticks = xcalloc(v.n, sizeof(uint64_t));
	uint64_t *user = xcalloc(v.n, sizeof(uint64_t));
	uint64_t *sys = xcalloc(v.n, sizeof(uint64_t));
	struct cpustat_times *shown = xcalloc(v.n, sizeof(*shown)), sum;
	for (unsigned k = 0; k < v.n; k++) {
		unsigned h = v.host_cpu[k];
		proc_stat_cpu_ticks(host_stat, h, &ticks[k]);
		if (t->percpu && h < t->ncpu) {
			user[k] = ns_ticks(t->user_ns[h]);
			sys[k] = ns_ticks(t->system_ns[h]);
		}
	}
	struct cpustat_sample sample = {
		.n = v.n, .host_cpu = v.host_cpu, .host_ticks = ticks, .percpu = t->percpu,
		.user = user, .system = sys,
		.user_total = ns_ticks(t->user_ns_total), .system_total = ns_ticks(t->system_ns_total),
	};
	struct cpustat_state *st = cpustat_state_new();
	struct stat_procs procs = { true, 2, 1 };
	/* Twice: the second read folds in steps from the first. */
	for (int i = 0; i < 2; i++) {
		cpustat_advance(st, &sample, shown, &sum);
		sb_reset(&out);
		render_stat(&out, host_stat, v.n, v.shown, shown, &sum, &procs);
	}
	cpustat_state_free(st);
	free(ticks);
	free(user);
	free(sys);
	free(shown);
	sb_free(&out);
	cpu_view_free(&v);
	cpumask_free(&mask);
}

#endif
