/* The host's /proc/stat: proc_stat_cpu_ticks for each visible CPU and
 * render_stat, which keeps the host's other lines. Input parts (fuzz.h):
 * /proc/stat, the container's CPU list, its v2 cpu.stat. */
#include "defaults.h"
#include "procstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cg_cpu_times t;

	fuzz_split(data, size, &in);
	if (!cpu_stat_v2_parse(fuzz_part(&in, 2, default_cpu_stat_v2), &t))
		memset(&t, 0, sizeof(t));
	procstat_render(in.part[0], fuzz_part(&in, 1, "0-3\n"), &t);
	/* The ticks of CPUs the view does not reach, up to an absurd number. */
	uint64_t ticks;
	for (unsigned cpu = 0; cpu < 8; cpu++)
		proc_stat_cpu_ticks(in.part[0], cpu, &ticks);
	proc_stat_cpu_ticks(in.part[0], UINT32_MAX, &ticks);
	cg_cpu_times_free(&t);
	fuzz_free(&in);
	return 0;
}
