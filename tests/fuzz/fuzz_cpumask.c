/* Kernel CPU lists (cpuset.cpus, cpuset.effective_cpus, devices/system/cpu
 * online): cpumask_parse, and what is built from a mask: the format (which
 * must parse back to the same set), the CPU view with a quota, the shown
 * list and the intersection with a second list. Also cpu_dir_name on the
 * list's text ("cpu" + it). Input parts (fuzz.h): list, second list. */
#include "fuzz.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "view/cpuview.h"

static bool same(const struct cpumask *a, const struct cpumask *b)
{
	int last = cpumask_last(a);
	if (last != cpumask_last(b))
		return false;
	for (int cpu = 0; cpu <= last; cpu++)
		if (cpumask_test(a, (unsigned)cpu) != cpumask_test(b, (unsigned)cpu))
			return false;
	return true;
}

static void derived(const struct cpumask *mask, const char *other_list)
{
	struct strbuf out = STRBUF_INIT;
	struct cpumask back = CPUMASK_INIT, other = CPUMASK_INIT, shown = CPUMASK_INIT;
	struct cpu_view v = CPU_VIEW_INIT;

	render_cpulist(&out, mask);
	if (!cpumask_parse(sb_str(&out), &back) || !same(mask, &back))
		abort(); /* what we write is what we read */
	cpu_view_build(mask, 2.5, true, &v);
	if (v.n < 1 || v.n > 3)
		abort(); /* at least one CPU, at most ceil(2.5) */
	cpu_view_shown_mask(&v, &shown);
	if (cpumask_parse(other_list, &other)) {
		cpumask_copy(&back, mask);
		cpumask_and(&back, &other);
		cpumask_weight(&back);
	}
	cpu_view_free(&v);
	cpumask_free(&back);
	cpumask_free(&other);
	cpumask_free(&shown);
	sb_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cpumask mask = CPUMASK_INIT;
	unsigned n;

	fuzz_split(data, size, &in);
	if (cpumask_parse(in.part[0], &mask))
		derived(&mask, fuzz_part(&in, 1, "0-1\n"));
	cpumask_free(&mask);
	char *dir = xasprintf("cpu%s", in.part[0]);
	cpu_dir_name(dir, &n);
	free(dir);
	fuzz_free(&in);
	return 0;
}
