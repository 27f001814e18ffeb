/* The container's CPU time: v1 cpuacct.usage_all (per CPU) and
 * cpuacct.usage, v2 cpu.stat (user_usec, system_usec, usage_usec), fed to
 * /proc/stat's accounting and to /proc/uptime. Input parts (fuzz.h): the
 * file, host /proc/stat, the container's CPU list. */
#include "defaults.h"
#include "procstat.h"
#include "util/parse.h"

static void uptime(const char *text)
{
	struct strbuf out = STRBUF_INIT;
	struct uptime_input in = { .now = 5000, .start = 1000, .ncpus = 2, .host_idle = 300 };
	uint64_t v;

	/* cg_read_cpu_usage_ns: v1 nanoseconds, v2 microseconds. */
	if (parse_u64(text, &v)) {
		in.have_cpu_used = true;
		in.cpu_used = (double)v / 1e9;
	} else if (kv_get_u64(text, "usage_usec", &v) && v <= UINT64_MAX / 1000) {
		in.have_cpu_used = true;
		in.cpu_used = (double)(v * 1000) / 1e9;
	}
	render_uptime(&out, &in);
	sb_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cg_cpu_times t;

	fuzz_split(data, size, &in);
	const char *host_stat = fuzz_part(&in, 1, default_stat);
	const char *cpus = fuzz_part(&in, 2, "0-3\n");
	if (cpuacct_usage_all_parse(in.part[0], &t)) {
		procstat_render(host_stat, cpus, &t);
		cg_cpu_times_free(&t);
	}
	if (cpu_stat_v2_parse(in.part[0], &t)) {
		procstat_render(host_stat, cpus, &t);
		cg_cpu_times_free(&t);
	}
	uptime(in.part[0]);
	fuzz_free(&in);
	return 0;
}
