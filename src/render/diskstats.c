#include "render/render.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <string.h>

static const struct cg_io_dev *find_dev(const struct cg_io *io, unsigned major, unsigned minor)
{
	for (unsigned i = 0; i < io->n; i++)
		if (io->dev[i].major == major && io->dev[i].minor == minor)
			return &io->dev[i];
	return NULL;
}

/* Number of whitespace-separated fields in s (up to the end of its line). */
static unsigned count_fields(const char *s, const char *eol)
{
	unsigned n = 0;
	while (s < eol) {
		while (s < eol && (*s == ' ' || *s == '\t'))
			s++;
		if (s >= eol)
			break;
		n++;
		while (s < eol && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

void render_diskstats(struct strbuf *out, const char *host_diskstats, const struct cg_io *io)
{
	for (const char *line = host_diskstats; *line;) {
		const char *eol = strchrnul(line, '\n');
		unsigned major, minor;
		char name[64];
		int used = 0;
		const struct cg_io_dev *d;
		if (sscanf(line, "%u %u %63s%n", &major, &minor, name, &used) == 3 &&
		    (d = find_dev(io, major, minor))) {
			/* The kernel's fields: reads, merged, sectors, ms, writes,
			 * merged, sectors, ms, in flight, io ms, weighted ms,
			 * discards, merged, sectors, ms, flushes, ms. Cgroups count
			 * operations and bytes; the rest is 0. */
			unsigned long long v[17] = { d->rios, 0, d->rbytes / 512, 0, d->wios, 0, d->wbytes / 512,
						     0, 0, 0, 0, d->dios, 0, d->dbytes / 512, 0, 0, 0 };
			unsigned n = count_fields(line + used, eol);
			sb_printf(out, "%4u %7u %s", major, minor, name);
			for (unsigned i = 0; i < n; i++)
				sb_printf(out, " %llu", i < 17 ? v[i] : 0ULL);
			sb_putc(out, '\n');
		}
		line = *eol ? eol + 1 : eol;
	}
}

void render_partitions(struct strbuf *out, const char *host_partitions, const struct cg_io *io)
{
	for (const char *line = host_partitions; *line;) {
		const char *eol = strchrnul(line, '\n');
		unsigned major, minor;
		/* The header and the blank line after it stay; device lines only
		 * for the devices in the container's diskstats. */
		if (sscanf(line, "%u %u", &major, &minor) != 2 || find_dev(io, major, minor)) {
			sb_append(out, line, (size_t)(eol - line));
			sb_putc(out, '\n');
		}
		line = *eol ? eol + 1 : eol;
	}
}
