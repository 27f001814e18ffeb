/* Which CPUs a container sees: cpuset, CFS quota, numbering. */
#include "tap.h"
#include "util/cpumask.h"
#include "view/cpuview.h"

#include <stdlib.h>

static struct cpu_view view_of(const char *cpuset, double quota, bool renumber)
{
	struct cpumask mask = CPUMASK_INIT;
	struct cpu_view v = CPU_VIEW_INIT;
	cpumask_parse(cpuset, &mask);
	cpu_view_build(&mask, quota, renumber, &v);
	cpumask_free(&mask);
	return v;
}

int main(void)
{
	struct cpu_view v = view_of("1", 0, true);
	is_u64(v.n, 1, "cpuset 1: one CPU");
	is_u64(v.shown[0], 0, "cpuset 1: shown as cpu0");
	is_u64((uint64_t)cpu_view_host_of(&v, 0), 1, "cpuset 1: cpu0 is host CPU 1");
	ok(cpu_view_host_of(&v, 1) < 0, "cpuset 1: there is no cpu1");
	ok(cpu_view_shown_of(&v, 0) < 0, "cpuset 1: host CPU 0 is invisible");
	cpu_view_free(&v);

	v = view_of("0,2-3", 0, true);
	is_u64(v.n, 3, "cpuset 0,2-3: three CPUs");
	is_u64((uint64_t)cpu_view_host_of(&v, 2), 3, "cpuset 0,2-3: cpu2 is host CPU 3");
	is_u64((uint64_t)cpu_view_shown_of(&v, 2), 1, "cpuset 0,2-3: host CPU 2 is shown as cpu1");
	cpu_view_free(&v);

	v = view_of("0,2-3", 0, false);
	is_u64(v.shown[1], 2, "host view keeps host ids");
	ok(cpu_view_host_of(&v, 1) < 0, "host view: no cpu1 when host CPU 1 is not in the set");
	cpu_view_free(&v);

	/* quota in CPUs: ceil, first CPUs of the cpuset */
	struct {
		double quota;
		unsigned want;
	} quotas[] = { { 0.5, 1 }, { 1, 1 }, { 1.5, 2 }, { 2.0000001, 2 }, { 0, 4 }, { 16, 4 }, { 0.001, 1 } };
	for (size_t i = 0; i < sizeof(quotas) / sizeof(quotas[0]); i++) {
		v = view_of("2-5", quotas[i].quota, true);
		is_u64(v.n, quotas[i].want, "cpuset 2-5, quota %.7g CPUs: %u visible", quotas[i].quota,
		       quotas[i].want);
		is_u64(v.host_cpu[0], 2, "quota %.7g: the first CPU of the cpuset comes first", quotas[i].quota);
		cpu_view_free(&v);
	}

	v = view_of("", 0, true);
	is_u64(v.n, 1, "an empty cpuset still shows one CPU");
	cpu_view_free(&v);

	struct cpumask shown = CPUMASK_INIT;
	v = view_of("8-11", 0, true);
	cpu_view_shown_mask(&v, &shown);
	is_u64(cpumask_weight(&shown), 4, "shown mask has 4 CPUs");
	ok(cpumask_test(&shown, 0) && cpumask_test(&shown, 3) && !cpumask_test(&shown, 8),
	   "shown mask is 0-3 for host CPUs 8-11");
	cpumask_free(&shown);
	cpu_view_free(&v);

	unsigned n;
	ok(cpu_dir_name("cpu0", &n) && n == 0, "cpu0 is a CPU directory");
	ok(cpu_dir_name("cpu127", &n) && n == 127, "cpu127 is a CPU directory");
	ok(!cpu_dir_name("cpufreq", &n), "cpufreq is not");
	ok(!cpu_dir_name("cpu", &n), "cpu is not");
	ok(!cpu_dir_name("cpu01", &n), "cpu01 is not");
	ok(!cpu_dir_name("cpu1x", &n), "cpu1x is not");
	return tap_done();
}
