#include "metrics/prom.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* 10us .. 50ms: a read served from the render cache takes tens of
 * microseconds, a render of many containers' stat a few milliseconds. */
const uint64_t hist_bounds_ns[HIST_BUCKETS - 1] = {
	10000,   25000,   50000,    100000,   250000,   500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
};

void prom_value(char *buf, size_t len, uint64_t value, unsigned decimals)
{
	uint64_t scale = 1;
	for (unsigned i = 0; i < decimals && i < 19; i++)
		scale *= 10;
	uint64_t whole = value / scale, frac = value % scale;
	if (!frac) {
		snprintf(buf, len, "%llu", (unsigned long long)whole);
		return;
	}
	/* The fraction with its leading zeros, then without trailing ones. */
	unsigned digits = decimals;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%llu.%0*llu", (unsigned long long)whole, (int)digits,
		 (unsigned long long)frac);
}

void hist_le(unsigned i, char *buf, size_t len)
{
	if (i >= HIST_BUCKETS - 1)
		snprintf(buf, len, "+Inf");
	else
		prom_value(buf, len, hist_bounds_ns[i], 9);
}

static const char *type_name(enum prom_type t)
{
	switch (t) {
	case PROM_COUNTER: return "counter";
	case PROM_GAUGE: return "gauge";
	case PROM_HISTOGRAM: return "histogram";
	}
	return "untyped";
}

/* HELP text: backslash and newline escaped, as the format wants. */
static void put_help(struct strbuf *out, const char *help)
{
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			sb_puts(out, "\\\\");
		else if (*p == '\n')
			sb_puts(out, "\\n");
		else
			sb_putc(out, *p);
	}
}

static void put_sample(struct strbuf *out, const struct prom_sample *s)
{
	char value[48];
	sb_puts(out, s->family);
	sb_puts(out, s->suffix);
	if (s->labels[0]) {
		sb_putc(out, '{');
		sb_puts(out, s->labels);
		sb_putc(out, '}');
	}
	prom_value(value, sizeof(value), s->value, s->decimals);
	sb_putc(out, ' ');
	sb_puts(out, value);
	sb_putc(out, '\n');
}

void prom_render(struct strbuf *out, const struct prom_sample *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!s[i].family[0])
			continue;
		/* A family is written where its first sample is. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(s[j].family, s[i].family);
		if (seen)
			continue;
		sb_printf(out, "# HELP %s ", s[i].family);
		put_help(out, s[i].help);
		sb_printf(out, "\n# TYPE %s %s\n", s[i].family, type_name(s[i].type));
		for (size_t j = i; j < n; j++)
			if (!strcmp(s[j].family, s[i].family))
				put_sample(out, &s[j]);
	}
}
