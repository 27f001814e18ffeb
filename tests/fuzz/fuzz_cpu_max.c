/* The CFS quota: v2 cpu.max ("max 100000", "50000 100000") and v1's
 * cpu.cfs_quota_us and cpu.cfs_period_us, into the CPUs a container sees
 * (cpu_view_build) and its /proc/uptime idle time. Input parts (fuzz.h):
 * cpu.max, cpu.cfs_quota_us, cpu.cfs_period_us. */
#include "fuzz.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "util/parse.h"
#include "view/cpuview.h"

/* level_quota in cgroup/cpu.c for v1: a negative quota is none. */
static bool v1_quota(const char *quota_text, const char *period_text, double *cpus)
{
	int64_t quota;
	uint64_t period;

	if (!parse_i64(quota_text, &quota))
		return false;
	if (quota < 0) {
		*cpus = 0;
		return true;
	}
	if (!parse_u64(period_text, &period) || period == 0)
		return false;
	*cpus = (double)quota / (double)period;
	return true;
}

static void view(double quota)
{
	struct cpumask mask = CPUMASK_INIT;
	struct cpu_view v = CPU_VIEW_INIT;
	struct strbuf out = STRBUF_INIT;

	for (unsigned cpu = 0; cpu < 8; cpu++)
		cpumask_set(&mask, cpu);
	cpu_view_build(&mask, quota, true, &v);
	if (v.n < 1 || v.n > 8)
		abort(); /* never more CPUs than the cpuset, never none */
	struct uptime_input in = { .now = 5000, .start = 1000, .ncpus = v.n, .have_cpu_used = true,
				   .cpu_used = 1234.5 };
	render_uptime(&out, &in);
	sb_free(&out);
	cpu_view_free(&v);
	cpumask_free(&mask);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	double cpus;

	fuzz_split(data, size, &in);
	if (cpu_max_parse(in.part[0], &cpus))
		view(cpus);
	if (v1_quota(fuzz_part(&in, 1, "-1\n"), fuzz_part(&in, 2, "100000\n"), &cpus))
		view(cpus);
	fuzz_free(&in);
	return 0;
}
