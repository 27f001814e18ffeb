/* A set of CPU numbers of any size (the kernel list syntax "0-3,6" in and
 * out). Hosts with thousands of CPUs exist; nothing here has a fixed width. */
#ifndef CVIEWFS_CPUMASK_H
#define CVIEWFS_CPUMASK_H

#include <stdbool.h>
#include <stdint.h>

struct strbuf;

struct cpumask {
	uint64_t *words;
	unsigned nwords;
};

#define CPUMASK_INIT { NULL, 0 }
/* No CPU number above this is accepted from a list: it bounds the memory a
 * garbage "0-4000000000" could make us allocate. Linux's NR_CPUS max is 8192. */
#define CPUMASK_MAX_CPU 65535

/* Parses a kernel CPU list ("", "0", "0-3,6", with a trailing newline).
 * An empty list gives an empty mask and true. Garbage gives false. */
bool cpumask_parse(const char *list, struct cpumask *out);
void cpumask_format(const struct cpumask *mask, struct strbuf *out);
void cpumask_set(struct cpumask *mask, unsigned cpu);
bool cpumask_test(const struct cpumask *mask, unsigned cpu);
unsigned cpumask_weight(const struct cpumask *mask);
/* Highest CPU set, or -1 when empty. */
int cpumask_last(const struct cpumask *mask);
/* dst &= other */
void cpumask_and(struct cpumask *dst, const struct cpumask *other);
void cpumask_copy(struct cpumask *dst, const struct cpumask *src);
void cpumask_clear(struct cpumask *mask);
void cpumask_free(struct cpumask *mask);

#endif
