/* CPU values of a container: the cpuset and the CPU time used. */
#include "cgroup/cgroup.h"
#include "util/cpumask.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
			cg_log_fallback(&loc, 0, "cpuacct.usage", cg_bad_content(sb_str(&buf)));
		else
			ok = true;
	}
	sb_free(&buf);
	return ok;
}

bool cpu_max_parse(const char *text, double *cpus)
{
	char quota[32];
	unsigned long long period;

	if (sscanf(text, "%31s %llu", quota, &period) != 2 || period == 0)
		return false;
	if (!strcmp(quota, "max")) {
		*cpus = 0;
		return true;
	}
	uint64_t q;
	if (!parse_u64(quota, &q))
		return false;
	*cpus = (double)q / (double)period;
	return true;
}

/* Quota of one level in CPUs (0 = none), or false if unreadable. */
static bool level_quota(const struct cg_loc *loc, unsigned up, struct strbuf *buf, double *cpus)
{
	if (loc->version == 2) {
		if (cg_read_file(loc, up, "cpu.max", buf) < 0)
			return false;
		if (!cpu_max_parse(sb_str(buf), cpus)) {
			cg_log_fallback(loc, up, "cpu.max", cg_bad_content(sb_str(buf)));
			return false;
		}
		return true;
	}
	int64_t quota;
	uint64_t period;
	if (cg_read_file(loc, up, "cpu.cfs_quota_us", buf) < 0)
		return false;
	if (!parse_i64(sb_str(buf), &quota)) {
		cg_log_fallback(loc, up, "cpu.cfs_quota_us", cg_bad_content(sb_str(buf)));
		return false;
	}
	if (quota < 0) {
		*cpus = 0;
		return true;
	}
	if (cg_read_file(loc, up, "cpu.cfs_period_us", buf) < 0 ||
	    !parse_u64(sb_str(buf), &period) || period == 0) {
		cg_log_fallback(loc, up, "cpu.cfs_period_us", "unreadable or zero");
		return false;
	}
	*cpus = (double)quota / (double)period;
	return true;
}

bool cg_read_cpu_quota(const struct cgroups *cg, const struct cg_paths *p, double *cpus)
{
	struct cg_loc loc;
	struct strbuf buf = STRBUF_INIT;
	double min = 0;
	bool any = false;

	if (!cg_locate(cg, p, CG_CPU, &loc))
		return false;
	unsigned depth = cg_depth(&loc);
	for (unsigned up = 0; up <= depth; up++) {
		double q;
		if (!level_quota(&loc, up, &buf, &q))
			continue; /* the v2 root has no cpu.max */
		any = true;
		if (q > 0 && (min == 0 || q < min))
			min = q;
	}
	sb_free(&buf);
	*cpus = min;
	return any;
}

void cg_cpu_times_free(struct cg_cpu_times *t)
{
	free(t->user_ns);
	free(t->system_ns);
	memset(t, 0, sizeof(*t));
}

bool cpuacct_usage_all_parse(const char *text, struct cg_cpu_times *out)
{
	memset(out, 0, sizeof(*out));
	const char *line = strchr(text, '\n'); /* skip "cpu user system" */
	if (strncmp(text, "cpu ", 4) || !line)
		return false;
	for (line++; *line;) {
		unsigned cpu;
		unsigned long long user, sys;
		int used;
		if (sscanf(line, "%u %llu %llu%n", &cpu, &user, &sys, &used) != 3 || cpu > CPUMASK_MAX_CPU) {
			cg_cpu_times_free(out);
			return false;
		}
		if (cpu >= out->ncpu) {
			unsigned n = cpu + 1;
			out->user_ns = xrealloc(out->user_ns, n * sizeof(uint64_t));
			out->system_ns = xrealloc(out->system_ns, n * sizeof(uint64_t));
			memset(out->user_ns + out->ncpu, 0, (n - out->ncpu) * sizeof(uint64_t));
			memset(out->system_ns + out->ncpu, 0, (n - out->ncpu) * sizeof(uint64_t));
			out->ncpu = n;
		}
		out->user_ns[cpu] = user;
		out->system_ns[cpu] = sys;
		out->user_ns_total += user;
		out->system_ns_total += sys;
		line = strchrnul(line + used, '\n');
		if (*line)
			line++;
	}
	out->percpu = out->ncpu > 0;
	return out->percpu;
}

bool cpu_stat_v2_parse(const char *text, struct cg_cpu_times *out)
{
	uint64_t user, sys;

	memset(out, 0, sizeof(*out));
	if (!kv_get_u64(text, "user_usec", &user) || !kv_get_u64(text, "system_usec", &sys) ||
	    user > UINT64_MAX / 1000 || sys > UINT64_MAX / 1000)
		return false;
	out->user_ns_total = user * 1000;
	out->system_ns_total = sys * 1000;
	return true;
}

bool cg_read_cpu_times(const struct cgroups *cg, const struct cg_paths *p, struct cg_cpu_times *out)
{
	struct cg_loc loc;
	struct strbuf buf = STRBUF_INIT;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	/* The cpuacct path, not the cpuset one: they differ when a runtime
	 * places controllers apart (lxcfs reads the wrong one). */
	if (!cg_locate(cg, p, CG_CPUACCT, &loc) && !cg_locate(cg, p, CG_CPU, &loc))
		return false;
	const char *file = loc.version == 2 ? "cpu.stat" : "cpuacct.usage_all";
	int r = cg_read_file(&loc, 0, file, &buf);
	if (r < 0)
		cg_log_fallback(&loc, 0, file, strerror(-r));
	else if (!(loc.version == 2 ? cpu_stat_v2_parse(sb_str(&buf), out)
				     : cpuacct_usage_all_parse(sb_str(&buf), out)))
		cg_log_fallback(&loc, 0, file, cg_bad_content(sb_str(&buf)));
	else
		ok = true;
	sb_free(&buf);
	return ok;
}
