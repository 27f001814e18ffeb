/* The host's /proc/cpuinfo (x86 and arm64 "processor" blocks, s390x
 * "processor N:" lines and "cpu number" blocks) through render_cpuinfo,
 * renumbered and flat, and as the host's own processes see it. Input parts
 * (fuzz.h): cpuinfo, the container's CPU list. */
#include "fuzz.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "view/cpuview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cpumask mask = CPUMASK_INIT;
	struct strbuf out = STRBUF_INIT;

	fuzz_split(data, size, &in);
	if (!cpumask_parse(fuzz_part(&in, 1, "1,3\n"), &mask))
		cpumask_set(&mask, 1);
	for (int renumber = 0; renumber < 2; renumber++) {
		struct cpu_view v = CPU_VIEW_INIT;
		cpu_view_build(&mask, 0, renumber, &v);
		sb_reset(&out);
		render_cpuinfo(&out, in.part[0], &v, renumber);
		cpu_view_free(&v);
	}
	sb_free(&out);
	cpumask_free(&mask);
	fuzz_free(&in);
	return 0;
}
