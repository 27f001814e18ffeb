#include "render/render.h"
#include "util/strbuf.h"
#include "view/cpuview.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int shown_of(const struct cpu_view *v, unsigned long cpu)
{
	return cpu > UINT32_MAX ? -1 : cpu_view_shown_of(v, (unsigned)cpu);
}

/* If `line` is "<key><blanks>: <number>", returns the number's offset. */
static int number_field(const char *line, size_t len, const char *key, unsigned long *value)
{
	size_t klen = strlen(key);
	if (len <= klen || strncmp(line, key, klen))
		return -1;
	size_t i = klen;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != ':')
		return -1;
	i++;
	while (i < len && line[i] == ' ')
		i++;
	if (i >= len || !isdigit((unsigned char)line[i]))
		return -1;
	*value = strtoul(line + i, NULL, 10);
	return (int)i;
}

/* Writes `line` with the number at offset `at` replaced by `value`. */
static void put_renumbered(struct strbuf *out, const char *line, size_t len, int at, unsigned long value)
{
	size_t end = (size_t)at;
	while (end < len && isdigit((unsigned char)line[end]))
		end++;
	sb_append(out, line, (size_t)at);
	sb_printf(out, "%lu", value);
	sb_append(out, line + end, len - end);
	sb_putc(out, '\n');
}

static const char *const flat_keys[] = { "physical id", "siblings", "core id", "cpu cores" };

/* One line of a kept CPU block (shown as k). */
static void put_cpu_line(struct strbuf *out, const char *line, size_t len, unsigned k, bool flat)
{
	unsigned long v;
	int at = number_field(line, len, "processor", &v);
	if (at < 0)
		at = number_field(line, len, "cpu number", &v); /* s390x */
	if (at >= 0) {
		put_renumbered(out, line, len, at, k);
		return;
	}
	for (size_t i = 0; flat && i < sizeof(flat_keys) / sizeof(flat_keys[0]); i++) {
		at = number_field(line, len, flat_keys[i], &v);
		if (at >= 0) {
			unsigned long flat_value[] = { k, 1, 0, 1 };
			put_renumbered(out, line, len, at, flat_value[i]);
			return;
		}
	}
	sb_append(out, line, len);
	sb_putc(out, '\n');
}

/* One line of a block that is not a CPU block (preambles, s390x). */
static void put_other_line(struct strbuf *out, const char *line, size_t len, const struct cpu_view *v)
{
	unsigned long cpu;
	int at = number_field(line, len, "# processors", &cpu);
	if (at >= 0) {
		put_renumbered(out, line, len, at, v->n);
		return;
	}
	/* s390x: "processor 3: version = FF, ..." */
	if (len > 10 && !strncmp(line, "processor ", 10) && isdigit((unsigned char)line[10])) {
		char *end;
		cpu = strtoul(line + 10, &end, 10);
		if (*end == ':') {
			int k = shown_of(v, cpu);
			if (k >= 0)
				put_renumbered(out, line, len, 10, (unsigned long)k);
			return;
		}
	}
	sb_append(out, line, len);
	sb_putc(out, '\n');
}

void render_cpuinfo(struct strbuf *out, const char *host_cpuinfo, const struct cpu_view *view,
		    bool flat_topology)
{
	const char *p = host_cpuinfo;

	while (*p) {
		/* A block runs to the next empty line. */
		const char *end = strstr(p, "\n\n");
		const char *block_end = end ? end + 1 : p + strlen(p);
		const char *next = end ? end + 2 : block_end;
		const char *eol = memchr(p, '\n', (size_t)(block_end - p));
		size_t first_len = eol ? (size_t)(eol - p) : (size_t)(block_end - p);
		unsigned long cpu;
		int k = -2; /* -2: not a CPU block */

		if (number_field(p, first_len, "processor", &cpu) >= 0 ||
		    number_field(p, first_len, "cpu number", &cpu) >= 0)
			k = shown_of(view, cpu);
		if (k != -1) {
			for (const char *line = p; line < block_end;) {
				const char *le = memchr(line, '\n', (size_t)(block_end - line));
				size_t len = le ? (size_t)(le - line) : (size_t)(block_end - line);
				if (k >= 0)
					put_cpu_line(out, line, len, (unsigned)k, flat_topology);
				else
					put_other_line(out, line, len, view);
				line += len + 1;
			}
			if (end)
				sb_putc(out, '\n');
		}
		p = next;
	}
}
