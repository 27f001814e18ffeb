#include "view/cpuview.h"
#include "util/cpumask.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cpu_view_build(const struct cpumask *cpuset, double quota_cpus, bool renumber,
		    struct cpu_view *out)
{
	unsigned n = cpumask_weight(cpuset);

	cpu_view_free(out);
	if (quota_cpus > 0) {
		/* ceil, computed on a slightly lowered value so that 2.0000001
		 * from a 200001/100000 rounding does not become 3. */
		double want = ceil(quota_cpus - 1e-6);
		if (want < 1)
			want = 1;
		if (want < n)
			n = (unsigned)want;
	}
	out->host_cpu = xcalloc(n ? n : 1, sizeof(unsigned));
	out->shown = xcalloc(n ? n : 1, sizeof(unsigned));
	if (n == 0) {
		out->n = 1;
		return;
	}
	int last = cpumask_last(cpuset);
	for (int cpu = 0; cpu <= last && out->n < n; cpu++) {
		if (!cpumask_test(cpuset, (unsigned)cpu))
			continue;
		out->shown[out->n] = renumber ? out->n : (unsigned)cpu;
		out->host_cpu[out->n++] = (unsigned)cpu;
	}
}

int cpu_view_host_of(const struct cpu_view *v, unsigned shown)
{
	for (unsigned k = 0; k < v->n; k++)
		if (v->shown[k] == shown)
			return (int)v->host_cpu[k];
	return -1;
}

int cpu_view_shown_of(const struct cpu_view *v, unsigned cpu)
{
	for (unsigned k = 0; k < v->n; k++)
		if (v->host_cpu[k] == cpu)
			return (int)v->shown[k];
	return -1;
}

void cpu_view_shown_mask(const struct cpu_view *v, struct cpumask *out)
{
	cpumask_free(out);
	for (unsigned k = 0; k < v->n; k++)
		cpumask_set(out, v->shown[k]);
}

void cpu_view_free(struct cpu_view *v)
{
	free(v->host_cpu);
	free(v->shown);
	v->host_cpu = v->shown = NULL;
	v->n = 0;
}

bool cpu_dir_name(const char *name, unsigned *n)
{
	if (strncmp(name, "cpu", 3) || !isdigit((unsigned char)name[3]))
		return false;
	if (name[3] == '0' && name[4])
		return false; /* "cpu01" is not a CPU directory */
	char *end;
	errno = 0;
	unsigned long v = strtoul(name + 3, &end, 10);
	if (errno || *end || v > CPUMASK_MAX_CPU)
		return false;
	*n = (unsigned)v;
	return true;
}
