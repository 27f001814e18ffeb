/* The CPUs a container sees: one policy, used by every file (cpuinfo, stat,
 * uptime, sys/devices/system/cpu), so they always agree.
 *
 * The visible CPUs are the cpuset's; with --enable-cfs only the first
 * ceil(quota) of them. They are shown as 0..n-1 ("renumbered"): tools like
 * htop size their tables by the highest cpuN they find, so a container on
 * host CPU 5 alone must see cpu0, not cpu5. sched_getaffinity() inside the
 * container still names the host CPUs; see the README. */
#ifndef CVIEWFS_CPUVIEW_H
#define CVIEWFS_CPUVIEW_H

#include <stdbool.h>

struct cpumask;

struct cpu_view {
	unsigned n;         /* visible CPUs, at least 1 */
	unsigned *host_cpu; /* host_cpu[k]: host id of the k-th visible CPU */
	unsigned *shown;    /* shown[k]: the id it is shown with (k, or the host id) */
};

#define CPU_VIEW_INIT { 0, NULL, NULL }

/* quota_cpus: CPUs the CFS quota allows (1.5 for 150000/100000); 0 when
 * there is no quota or cfs is off. An empty cpuset shows CPU 0.
 * renumber: show the CPUs as 0..n-1 (containers); else with their host ids
 * (the host's own processes, who must see the real thing). */
void cpu_view_build(const struct cpumask *cpuset, double quota_cpus, bool renumber,
		    struct cpu_view *out);
/* The host CPU shown as `shown`, or -1 when the container has no such CPU. */
int cpu_view_host_of(const struct cpu_view *v, unsigned shown);
/* The id host CPU `cpu` is shown with, or -1 when it is not visible. */
int cpu_view_shown_of(const struct cpu_view *v, unsigned cpu);
/* The shown ids as a set (for the online/possible/present lists). */
void cpu_view_shown_mask(const struct cpu_view *v, struct cpumask *out);
void cpu_view_free(struct cpu_view *v);

/* Parses "cpu<N>" with N a plain decimal; false for anything else. */
bool cpu_dir_name(const char *name, unsigned *n);

#endif
