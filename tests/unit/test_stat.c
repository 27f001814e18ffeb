/* /proc/stat: rendering, the host's per-CPU ticks, the cgroup CPU files. */
#include "tap.h"
#include "cgroup/cgroup.h"
#include "render/render.h"
#include "util/strbuf.h"
#include "view/cpustat.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *host = tap_fixture("cpu/stat-256");
	uint64_t ticks = 0;

	/* cpu200: user 300, nice 0, system 50, idle 10200, iowait 3, irq 0,
	 * softirq 1, steal 0: 10554; guest fields are not added again. */
	ok(proc_stat_cpu_ticks(host, 200, &ticks), "256-CPU stat: cpu200 found");
	is_u64(ticks, 300 + 50 + 10200 + 3 + 1, "cpu200 ticks are user..steal");
	ok(proc_stat_cpu_ticks(host, 0, &ticks) && ticks == 100 + 50 + 10000 + 3 + 1, "cpu0 is not confused with cpu0xx");
	ok(!proc_stat_cpu_ticks(host, 256, &ticks), "cpu256 does not exist");

	struct cpustat_times cpus[3] = { { 10, 5, 100 }, { 20, 6, 200 }, { 30, 7, 300 } };
	struct cpustat_times sum = { 60, 18, 600 };
	unsigned shown[3] = { 0, 1, 2 };
	struct stat_procs procs = { true, 3, 2 };
	struct strbuf out = STRBUF_INIT;
	render_stat(&out, host, 3, shown, cpus, &sum, &procs);
	const char *s = sb_str(&out);
	const char *head = "cpu  60 0 18 600 0 0 0 0 0 0\ncpu0 10 0 5 100 0 0 0 0 0 0\n";
	ok(!strncmp(s, head, strlen(head)), "first lines: the sum with two spaces, then cpu0");
	is_u64(tap_count_prefix(s, "cpu"), 4, "one sum line and three cpuN lines");
	ok(strstr(s, "cpu2 30 0 7 300 0 0 0 0 0 0\n") != NULL, "cpu2 line");
	ok(strstr(s, "\nbtime 1763800000\n") != NULL, "btime stays the host's");
	ok(strstr(s, "\nctxt 987654\nbtime") != NULL, "host lines keep their order");
	ok(strstr(s, "\nprocs_running 3\nprocs_blocked 2\n") != NULL, "procs_running/blocked are the container's");
	ok(strstr(s, "\nprocesses 4242\n") != NULL, "processes stays the host's");
	sb_reset(&out);
	procs.known = false;
	render_stat(&out, host, 3, shown, cpus, &sum, &procs);
	ok(strstr(sb_str(&out), "\nprocs_running 7\nprocs_blocked 1\n") != NULL, "unknown procs keep the host's");
	sb_free(&out);
	free(host);

	struct cg_cpu_times t;
	ok(cpuacct_usage_all_parse("cpu user system\n0 1000 2000\n1 3000 4000\n3 5 6\n", &t), "usage_all parses");
	ok(t.percpu && t.ncpu == 4, "usage_all: per CPU, up to CPU 3");
	ok(t.user_ns[1] == 3000 && t.system_ns[1] == 4000 && t.user_ns[2] == 0, "usage_all: values by CPU id");
	is_u64(t.user_ns_total, 4005, "usage_all: user total");
	cg_cpu_times_free(&t);
	ok(!cpuacct_usage_all_parse("cpu user system\n0 1000\n", &t), "usage_all: a short line is refused");
	ok(!cpuacct_usage_all_parse("", &t), "usage_all: empty is refused");
	ok(cpu_stat_v2_parse("usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 0\n", &t) &&
		   !t.percpu && t.user_ns_total == 2000000 && t.system_ns_total == 1000000,
	   "v2 cpu.stat: totals in ns");
	ok(!cpu_stat_v2_parse("usage_usec 3000\n", &t), "v2 cpu.stat without user/system is refused");

	double cpus_q;
	ok(cpu_max_parse("max 100000\n", &cpus_q) && cpus_q == 0, "cpu.max max: no quota");
	ok(cpu_max_parse("50000 100000\n", &cpus_q) && cpus_q == 0.5, "cpu.max 50000 100000: half a CPU");
	ok(cpu_max_parse("150000 100000", &cpus_q) && cpus_q == 1.5, "cpu.max 150000 100000: 1.5 CPUs");
	ok(!cpu_max_parse("50000 0", &cpus_q), "cpu.max with period 0 is refused");
	ok(!cpu_max_parse("garbage", &cpus_q), "cpu.max garbage is refused");
	return tap_done();
}
