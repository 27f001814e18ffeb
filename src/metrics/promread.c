#include "metrics/promread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool parse_line(char *line, struct prom_line *out)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return false;
	char *p = line;
	while (*p && *p != '{' && *p != ' ' && *p != '\t')
		p++;
	if (p == line)
		return false;
	out->labels = "";
	if (*p == '{') {
		*p++ = '\0';
		out->labels = p;
		/* The closing brace: not one inside a quoted value. */
		bool quoted = false;
		for (; *p && (quoted || *p != '}'); p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				quoted = !quoted;
		}
		if (*p != '}')
			return false;
		*p++ = '\0';
	} else {
		*p++ = '\0';
	}
	out->name = line;
	char *end;
	out->value = strtod(p, &end);
	if (end == p)
		return false;
	return true;
}

int prom_parse(const char *text, struct prom_text *out)
{
	memset(out, 0, sizeof(*out));
	out->text = strdup(text);
	if (!out->text)
		return -1;
	size_t cap = 0;
	for (char *line = out->text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct prom_line l;
		if (!parse_line(line, &l))
			continue;
		if (out->n == cap) {
			cap = cap ? 2 * cap : 64;
			struct prom_line *v = realloc(out->v, cap * sizeof(*v));
			if (!v) {
				prom_text_free(out);
				return -1;
			}
			out->v = v;
		}
		out->v[out->n++] = l;
	}
	return 0;
}

void prom_text_free(struct prom_text *t)
{
	free(t->v);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

bool prom_label(const struct prom_line *l, const char *label, char *buf, size_t len)
{
	size_t ll = strlen(label);
	for (const char *p = l->labels; *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		const char *eq = strchr(p, '=');
		if (!eq || eq[1] != '"')
			return false;
		bool match = (size_t)(eq - p) == ll && !strncmp(p, label, ll);
		size_t n = 0;
		for (p = eq + 2; *p && *p != '"'; p++) {
			char c = *p;
			if (c == '\\' && p[1]) {
				c = *++p;
				if (c == 'n')
					c = '\n';
			}
			if (match && n + 1 < len)
				buf[n++] = c;
		}
		if (match) {
			if (len)
				buf[n] = '\0';
			return true;
		}
		if (*p == '"')
			p++;
	}
	return false;
}

double prom_sum(const struct prom_text *t, const char *name, bool *found)
{
	double sum = 0;
	bool any = false;
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i].name, name)) {
			sum += t->v[i].value;
			any = true;
		}
	}
	if (found)
		*found = any;
	return sum;
}

double hist_quantile(const double *le, const double *cum, size_t n, double q)
{
	if (n == 0 || !(cum[n - 1] > 0))
		return NAN;
	double rank = q * cum[n - 1];
	size_t b = 0;
	while (b < n - 1 && cum[b] < rank)
		b++;
	if (isinf(le[b]))
		return b > 0 ? le[b - 1] : NAN;
	double lower = b > 0 ? le[b - 1] : 0, below = b > 0 ? cum[b - 1] : 0;
	double in = cum[b] - below;
	if (in <= 0)
		return le[b];
	return lower + (le[b] - lower) * (rank - below) / in;
}

static int by_le(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

double prom_quantile(const struct prom_text *t, const char *family, double q)
{
	size_t flen = strlen(family), n = 0;
	double (*pairs)[2] = calloc(t->n ? t->n : 1, sizeof(*pairs));
	if (!pairs)
		return NAN;
	for (size_t i = 0; i < t->n; i++) {
		const char *name = t->v[i].name;
		char le[64];
		if (strncmp(name, family, flen) || strcmp(name + flen, "_bucket") ||
		    !prom_label(&t->v[i], "le", le, sizeof(le)))
			continue;
		char *end;
		pairs[n][0] = strtod(le, &end);
		pairs[n][1] = t->v[i].value;
		if (end != le && !*end)
			n++;
	}
	qsort(pairs, n, sizeof(*pairs), by_le);
	double *les = malloc((n ? n : 1) * sizeof(double)), *cum = malloc((n ? n : 1) * sizeof(double));
	double r = NAN;
	if (les && cum && n && isinf(pairs[n - 1][0])) {
		for (size_t i = 0; i < n; i++) {
			les[i] = pairs[i][0];
			cum[i] = pairs[i][1];
		}
		r = hist_quantile(les, cum, n, q);
	}
	free(les);
	free(cum);
	free(pairs);
	return r;
}
