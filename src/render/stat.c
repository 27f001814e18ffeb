#include "render/render.h"
#include "util/strbuf.h"
#include "view/cpustat.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool proc_stat_cpu_ticks(const char *host_stat, unsigned cpu, uint64_t *ticks)
{
	char key[24];
	int klen = snprintf(key, sizeof(key), "cpu%u ", cpu);

	for (const char *line = host_stat; line && *line;) {
		if (!strncmp(line, key, (size_t)klen)) {
			unsigned long long f[8] = { 0 };
			/* user nice system idle iowait irq softirq steal; guest and
			 * guest_nice are already inside user and nice. */
			int got = sscanf(line + klen, "%llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
					 &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]);
			if (got < 4)
				return false;
			*ticks = 0;
			for (int i = 0; i < 8; i++)
				*ticks += f[i];
			return true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

static void cpu_line(struct strbuf *out, const char *label, const struct cpustat_times *t)
{
	sb_printf(out, "%s %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n", label, t->user,
		  t->system, t->idle);
}

void render_stat(struct strbuf *out, const char *host_stat, unsigned n, const unsigned *shown,
		 const struct cpustat_times *cpus, const struct cpustat_times *sum,
		 const struct stat_procs *procs)
{
	char label[24];

	cpu_line(out, "cpu ", sum); /* the kernel writes "cpu  " with two spaces */
	for (unsigned k = 0; k < n; k++) {
		snprintf(label, sizeof(label), "cpu%u", shown[k]);
		cpu_line(out, label, &cpus[k]);
	}
	for (const char *line = host_stat; *line;) {
		const char *eol = strchrnul(line, '\n');
		size_t len = (size_t)(eol - line);
		if (!strncmp(line, "cpu", 3)) {
			/* the host's cpu lines are replaced above */
		} else if (procs->known && !strncmp(line, "procs_running ", 14)) {
			sb_printf(out, "procs_running %u\n", procs->running);
		} else if (procs->known && !strncmp(line, "procs_blocked ", 14)) {
			sb_printf(out, "procs_blocked %u\n", procs->blocked);
		} else {
			sb_append(out, line, len);
			sb_putc(out, '\n');
		}
		line = *eol ? eol + 1 : eol;
	}
}
