/* /proc/uptime of a container (SPEC 4 "uptime"): "%.2f %.2f\n", the age of
 * its init and the idle time of its visible CPUs. */
#include "tap.h"

#include "render/render.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *uptime_of(const struct uptime_input *in)
{
	struct strbuf sb = STRBUF_INIT;
	render_uptime(&sb, in);
	char *s = xstrdup(sb_str(&sb));
	sb_free(&sb);
	return s;
}

static char *fmt2(double up, double idle)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%.2f %.2f\n", up, idle);
	return xstrdup(buf);
}

static void check(const struct uptime_input *in, double up, double idle, const char *what)
{
	char *got = uptime_of(in), *want = fmt2(up, idle);
	is_str(got, want, "%s", what);
	free(got);
	free(want);
}

int main(void)
{
	/* A container started 600.25 s ago on 4 CPUs, which used 1000 s of CPU. */
	struct uptime_input in = { .now = 86400.75, .start = 85800.5, .ncpus = 4,
				   .have_cpu_used = true, .cpu_used = 1000.0, .host_idle = 300000.0 };
	double up = in.now - in.start;

	char *s = uptime_of(&in);
	double u = -1, i = -1;
	char tail = 0;
	bool one_line = sscanf(s, "%lf %lf%c", &u, &i, &tail) == 3 && tail == '\n' &&
			strchr(s, '\n') == s + strlen(s) - 1;
	if (!ok(one_line, "format: two numbers and one newline"))
		printf("#   got '%s'\n", s);
	ok(strchr(s, '.') && strchr(s, '.')[3] == ' ' && strrchr(s, '.')[3] == '\n', "format: two decimals each");
	free(s);

	check(&in, up, 4 * up - 1000.0, "uptime = now - init start; idle = 4 * uptime - CPU used");
	ok(up > 600.2 && up < 600.3, "the container's age, not the host's (%.2f s)", up);

	in.cpu_used = 0;
	check(&in, up, 4 * up, "no CPU used: idle = ncpus * uptime");

	in.cpu_used = 4 * up + 50;
	check(&in, up, 0, "CPU used above ncpus * uptime (a limit change): idle 0, never negative");

	in.ncpus = 1;
	in.cpu_used = 100;
	check(&in, up, up - 100, "one CPU: idle = uptime - CPU used");

	in.ncpus = 0;
	in.cpu_used = 0;
	s = uptime_of(&in);
	ok(sscanf(s, "%lf %lf", &u, &i) == 2 && i >= 0 && i <= up + 0.01,
	   "zero visible CPUs (unknown) does not make idle nonsensical: %s", s);
	free(s);

	/* Unknown CPU use: the host's idle, clamped. */
	in.ncpus = 4;
	in.have_cpu_used = false;
	in.host_idle = 1234.5;
	check(&in, up, 1234.5, "unknown CPU use: host idle when within ncpus * uptime");
	in.host_idle = 300000.0;
	check(&in, up, 4 * up, "unknown CPU use: host idle clamped to ncpus * uptime");
	in.host_idle = -5;
	check(&in, up, 0, "unknown CPU use: negative host idle clamped to 0");

	/* Start in the future (clock skew, a bogus stat): 0, not negative. */
	in.have_cpu_used = true;
	in.cpu_used = 10;
	in.start = in.now + 100;
	check(&in, 0, 0, "init start in the future: \"0.00 0.00\"");
	in.have_cpu_used = false;
	in.host_idle = 5000;
	check(&in, 0, 0, "init start in the future, unknown CPU use: idle 0");

	/* Host reader: start 0 gives the boot time. */
	struct uptime_input host = { .now = 216486.37, .start = 0, .ncpus = 2, .have_cpu_used = true,
				     .cpu_used = 1000 };
	check(&host, 216486.37, 2 * 216486.37 - 1000, "start 0: uptime since boot");
	return tap_done();
}
