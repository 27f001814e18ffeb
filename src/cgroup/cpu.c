/* CPU values of a container: the cpuset and the CPU time used. */
#include "cgroup/cgroup.h"
#include "util/cpumask.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <errno.h>
#include <string.h>

/* An empty cpuset file means "not set here" (v1 child before configuration,
 * v2 cgroup without the cpuset controller): the CPUs are the parent's. */
bool cg_read_cpus(const struct cgroups *cg, const struct cg_paths *p, struct cpumask *out)
{
	static const char *const v1_files[] = { "cpuset.effective_cpus", "cpuset.cpus" };
	static const char *const v2_files[] = { "cpuset.cpus.effective", "cpuset.cpus" };
	struct cg_loc loc;
	struct strbuf buf = STRBUF_INIT;
	bool found = false;

	if (!cg_locate(cg, p, CG_CPUSET, &loc))
		return false;
	const char *const *files = loc.version == 2 ? v2_files : v1_files;
	unsigned depth = cg_depth(&loc);

	for (unsigned up = 0; up <= depth && !found; up++) {
		for (int f = 0; f < 2 && !found; f++) {
			int r = cg_read_file(&loc, up, files[f], &buf);
			if (r < 0)
				continue;
			struct cpumask mask = CPUMASK_INIT;
			if (!cpumask_parse(sb_str(&buf), &mask)) {
				cg_log_fallback(&loc, up, files[f], "unparsable CPU list");
				continue;
			}
			if (cpumask_weight(&mask) > 0) {
				cpumask_free(out);
				*out = mask;
				found = true;
			} else {
				cpumask_free(&mask);
			}
		}
	}
	sb_free(&buf);
	return found;
}

bool cg_read_cpu_usage_ns(const struct cgroups *cg, const struct cg_paths *p, uint64_t *ns)
{
	struct cg_loc loc;
	struct strbuf buf = STRBUF_INIT;
	bool ok = false;

	if (!cg_locate(cg, p, CG_CPUACCT, &loc) && !cg_locate(cg, p, CG_CPU, &loc))
		return false;
	if (loc.version == 2) {
		uint64_t usec;
		int r = cg_read_file(&loc, 0, "cpu.stat", &buf);
		if (r < 0)
			cg_log_fallback(&loc, 0, "cpu.stat", strerror(-r));
		else if (!kv_get_u64(sb_str(&buf), "usage_usec", &usec) || usec > UINT64_MAX / 1000)
			cg_log_fallback(&loc, 0, "cpu.stat", "no usable usage_usec");
		else {
			*ns = usec * 1000;
			ok = true;
		}
	} else {
		int r = cg_read_file(&loc, 0, "cpuacct.usage", &buf);
		if (r < 0)
			cg_log_fallback(&loc, 0, "cpuacct.usage", strerror(-r));
		else if (!parse_u64(sb_str(&buf), ns))
			cg_log_fallback(&loc, 0, "cpuacct.usage", "unparsable content");
		else
			ok = true;
	}
	sb_free(&buf);
	return ok;
}
