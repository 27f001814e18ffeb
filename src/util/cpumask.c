#include "util/cpumask.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cpumask_set(struct cpumask *mask, unsigned cpu)
{
	unsigned word = cpu / 64;

	if (word >= mask->nwords) {
		unsigned n = word + 1;
		mask->words = xrealloc(mask->words, n * sizeof(uint64_t));
		memset(mask->words + mask->nwords, 0, (n - mask->nwords) * sizeof(uint64_t));
		mask->nwords = n;
	}
	mask->words[word] |= UINT64_C(1) << (cpu % 64);
}

bool cpumask_test(const struct cpumask *mask, unsigned cpu)
{
	unsigned word = cpu / 64;
	return word < mask->nwords && (mask->words[word] >> (cpu % 64)) & 1;
}

unsigned cpumask_weight(const struct cpumask *mask)
{
	unsigned n = 0;
	for (unsigned i = 0; i < mask->nwords; i++)
		n += (unsigned)__builtin_popcountll(mask->words[i]);
	return n;
}

int cpumask_last(const struct cpumask *mask)
{
	for (unsigned i = mask->nwords; i-- > 0;)
		if (mask->words[i])
			return (int)(i * 64 + 63 - (unsigned)__builtin_clzll(mask->words[i]));
	return -1;
}

void cpumask_and(struct cpumask *dst, const struct cpumask *other)
{
	for (unsigned i = 0; i < dst->nwords; i++)
		dst->words[i] &= i < other->nwords ? other->words[i] : 0;
}

void cpumask_copy(struct cpumask *dst, const struct cpumask *src)
{
	cpumask_free(dst);
	if (!src->nwords)
		return;
	dst->words = xmalloc(src->nwords * sizeof(uint64_t));
	memcpy(dst->words, src->words, src->nwords * sizeof(uint64_t));
	dst->nwords = src->nwords;
}

void cpumask_clear(struct cpumask *mask)
{
	if (mask->nwords)
		memset(mask->words, 0, mask->nwords * sizeof(uint64_t));
}

void cpumask_free(struct cpumask *mask)
{
	free(mask->words);
	mask->words = NULL;
	mask->nwords = 0;
}

static bool parse_cpu(const char **p, unsigned *out)
{
	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	char *end;
	unsigned long v = strtoul(*p, &end, 10);
	if (errno || v > CPUMASK_MAX_CPU)
		return false;
	*p = end;
	*out = (unsigned)v;
	return true;
}

bool cpumask_parse(const char *list, struct cpumask *out)
{
	struct cpumask mask = CPUMASK_INIT;
	const char *p = list;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != '\n') {
		unsigned first, last;
		if (!parse_cpu(&p, &first))
			goto bad;
		last = first;
		if (*p == '-') {
			p++;
			if (!parse_cpu(&p, &last) || last < first)
				goto bad;
		}
		for (unsigned cpu = first; cpu <= last; cpu++)
			cpumask_set(&mask, cpu);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			goto bad;
	}
	while (*p == '\n' || *p == ' ')
		p++;
	if (*p)
		goto bad;
	cpumask_free(out);
	*out = mask;
	return true;
bad:
	cpumask_free(&mask);
	return false;
}

void cpumask_format(const struct cpumask *mask, struct strbuf *out)
{
	int last = cpumask_last(mask);
	bool first_range = true;

	for (int cpu = 0; cpu <= last; cpu++) {
		if (!cpumask_test(mask, (unsigned)cpu))
			continue;
		int end = cpu;
		while (end + 1 <= last && cpumask_test(mask, (unsigned)end + 1))
			end++;
		sb_printf(out, first_range ? "%d" : ",%d", cpu);
		if (end > cpu)
			sb_printf(out, "-%d", end);
		first_range = false;
		cpu = end;
	}
}
