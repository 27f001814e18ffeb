/* /proc/cpuinfo keeps only the visible CPUs' blocks. */
#include "tap.h"
#include "render/render.h"
#include "util/cpumask.h"
#include "util/strbuf.h"
#include "view/cpuview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(const char *fixture, const char *cpuset, bool flat)
{
	char *host = tap_fixture(fixture);
	struct cpumask mask = CPUMASK_INIT;
	struct cpu_view v = CPU_VIEW_INIT;
	struct strbuf out = STRBUF_INIT;
	cpumask_parse(cpuset, &mask);
	cpu_view_build(&mask, 0, true, &v);
	render_cpuinfo(&out, host, &v, flat);
	cpumask_free(&mask);
	cpu_view_free(&v);
	free(host);
	return out.buf ? out.buf : strdup("");
}

/* The value of the n-th (0-based) "key<blanks>: value" line. */
static char *nth_value(const char *text, const char *key, unsigned n)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) || (line[klen] != ' ' && line[klen] != '\t' && line[klen] != ':'))
			continue;
		if (n-- > 0)
			continue;
		const char *v = strchr(line, ':');
		if (!v)
			return NULL;
		v++;
		while (*v == ' ')
			v++;
		return strndup(v, strcspn(v, "\n"));
	}
	return NULL;
}

static void check_value(const char *text, const char *key, unsigned n, const char *want, const char *what)
{
	char *got = nth_value(text, key, n);
	is_str(got, want, "%s", what);
	free(got);
}

int main(void)
{
	char *host = tap_fixture("cpu/cpuinfo-x86_64");
	unsigned host_blocks = tap_count_prefix(host, "processor");

	char *out = render("cpu/cpuinfo-x86_64", "1", false);
	is_u64(tap_count_prefix(out, "processor"), 1, "x86, cpuset 1: one processor block");
	check_value(out, "processor", 0, "0", "x86, cpuset 1: renumbered to processor 0");
	check_value(out, "apicid", 0, "1", "x86, cpuset 1: the block is host CPU 1's (apicid 1)");
	char *model = nth_value(host, "model name", 1);
	check_value(out, "model name", 0, model, "x86: other fields as the host's");
	free(model);
	ok(strlen(out) > 2 && !strcmp(out + strlen(out) - 2, "\n\n"), "x86: the file ends with a blank line like the kernel's");
	free(out);

	out = render("cpu/cpuinfo-x86_64", "0-1", false);
	is_u64(tap_count_prefix(out, "processor"), host_blocks, "x86, all CPUs: as many blocks as the host");
	is_str(out, host, "x86, all CPUs visible: identical to the host's file");
	free(out);

	out = render("cpu/cpuinfo-x86_64", "1", true);
	check_value(out, "physical id", 0, "0", "flat topology: physical id 0");
	check_value(out, "siblings", 0, "1", "flat topology: siblings 1");
	check_value(out, "core id", 0, "0", "flat topology: core id 0");
	check_value(out, "cpu cores", 0, "1", "flat topology: cpu cores 1");
	free(out);
	free(host);

	out = render("cpu/cpuinfo-aarch64", "0,2-3", false);
	is_u64(tap_count_prefix(out, "processor"), 3, "arm64, cpuset 0,2-3: three blocks");
	check_value(out, "processor", 2, "2", "arm64: third block renumbered to 2");
	is_u64(tap_count_prefix(out, "BogoMIPS"), 3, "arm64: BogoMIPS kept per block");
	free(out);
	out = render("cpu/cpuinfo-aarch64", "5", false);
	check_value(out, "CPU part", 0, "0xd0b", "arm64, cpuset 5: the big core's block (CPU part 0xd0b)");
	check_value(out, "processor", 0, "0", "arm64, cpuset 5: shown as processor 0");
	free(out);

	out = render("cpu/cpuinfo-s390x", "1,3", false);
	check_value(out, "# processors", 0, "2", "s390x: '# processors' is the visible count");
	ok(strstr(out, "processor 0: version") && strstr(out, "processor 1: version") &&
		   !strstr(out, "processor 2:") && !strstr(out, "processor 3:"),
	   "s390x: processor lines filtered and renumbered");
	is_u64(tap_count_prefix(out, "cpu number"), 2, "s390x: two 'cpu number' blocks");
	check_value(out, "core id", 1, "3", "s390x: the second block is host CPU 3's");
	check_value(out, "cpu number", 1, "1", "s390x: ... numbered 1");
	ok(strstr(out, "vendor_id       : IBM/S390") != NULL, "s390x: the preamble is kept");
	free(out);
	return tap_done();
}
