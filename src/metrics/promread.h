/* Reading back a metrics file (cviewfs-toolkit status): the sample lines
 * of a Prometheus text exposition, and a quantile estimated from a
 * histogram's buckets. Plain libc, no I/O: the toolkit and the unit tests
 * both compile it. */
#ifndef CVIEWFS_PROMREAD_H
#define CVIEWFS_PROMREAD_H

#include <stdbool.h>
#include <stddef.h>

struct prom_line {
	const char *name;   /* "cviewfs_reads_total" */
	const char *labels; /* what is between the braces, "" for none */
	double value;
};

struct prom_text {
	struct prom_line *v;
	size_t n;
	char *text; /* the lines point into this copy */
};

/* Parses text; comment lines and malformed lines are skipped. 0, or -1 when
 * out of memory. */
int prom_parse(const char *text, struct prom_text *out);
void prom_text_free(struct prom_text *t);

/* The value of a label in a line's labels ("file" of file="proc/meminfo"),
 * into buf; false when absent. */
bool prom_label(const struct prom_line *l, const char *label, char *buf, size_t len);
/* The sum of every sample named `name` (any labels); *found tells whether
 * there was one (may be NULL). */
double prom_sum(const struct prom_text *t, const char *name, bool *found);

/* The q-quantile (0 < q < 1) of a histogram given by its cumulative bucket
 * counts cum[i] of observations <= le[i], le ascending, le[n-1] = +Inf, as
 * Prometheus's histogram_quantile estimates it: linearly within the bucket
 * where the rank falls (from 0 for the first); in the +Inf bucket, the
 * largest finite bound. NaN when there is no observation. */
double hist_quantile(const double *le, const double *cum, size_t n, double q);
/* The same for histogram `family` of t (its family_bucket lines). */
double prom_quantile(const struct prom_text *t, const char *family, double q);

#endif
