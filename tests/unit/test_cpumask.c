/* CPU lists in kernel syntax: what cpuset files give and what
 * sys/devices/system/cpu/online serves. */
#include "tap.h"

#include "render/render.h"
#include "util/cpumask.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses list, formats it back; NULL when the parse fails. */
static char *round_trip(const char *list)
{
	struct cpumask m = CPUMASK_INIT;
	struct strbuf sb = STRBUF_INIT;

	if (!cpumask_parse(list, &m))
		return NULL;
	cpumask_format(&m, &sb);
	cpumask_free(&m);
	char *s = xstrdup(sb_str(&sb));
	sb_free(&sb);
	return s;
}

/* in, printable on one TAP line ("\n" shown as \n). */
static const char *shown(const char *in)
{
	static char buf[128];
	size_t o = 0;
	for (; *in && o + 3 < sizeof(buf); in++) {
		if (*in == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *in;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void check_round_trip(const char *in, const char *want)
{
	char *got = round_trip(in);
	is_str(got, want, "\"%s\" formats back as \"%s\"", shown(in), want);
	free(got);
}

static void check_refused(const char *in, const char *why)
{
	struct cpumask m = CPUMASK_INIT;
	cpumask_set(&m, 3); /* must survive a failed parse */
	bool parsed = cpumask_parse(in, &m);
	ok(!parsed && cpumask_weight(&m) == 1 && cpumask_test(&m, 3),
	   "\"%s\" is refused (%s), the old mask kept", shown(in), why);
	cpumask_free(&m);
}

static void test_round_trips(void)
{
	check_round_trip("0", "0");
	check_round_trip("0\n", "0");
	check_round_trip("0-3,6", "0-3,6");
	check_round_trip("0-3,6\n", "0-3,6");
	check_round_trip("1,3-5,64-127", "1,3-5,64-127");
	check_round_trip("63-64", "63-64");
	check_round_trip("0,1,2,3", "0-3");
	check_round_trip("5,0-2", "0-2,5");
	check_round_trip("0-1", "0-1");
	check_round_trip("", "");
	check_round_trip("\n", "");
}

static void test_garbage(void)
{
	char huge[64];

	check_refused("3-1", "reversed range");
	check_refused("a", "not a number");
	check_refused("0-", "open range");
	check_refused("-3", "leading dash");
	check_refused("1,,2", "empty element");
	check_refused(",1", "leading comma");
	check_refused("0-3x", "trailing garbage");
	check_refused("0 1", "space inside");
	snprintf(huge, sizeof(huge), "%u", CPUMASK_MAX_CPU + 1);
	check_refused(huge, "CPU above CPUMASK_MAX_CPU");
	snprintf(huge, sizeof(huge), "0-%u", CPUMASK_MAX_CPU + 1);
	check_refused(huge, "range end above CPUMASK_MAX_CPU");
	check_refused("0-4000000000", "range of four billion CPUs");
	check_refused("4294967296", "2^32 (wraps in 32 bits)");
	check_refused("18446744073709551616", "beyond 64 bits");

	struct cpumask m = CPUMASK_INIT;
	char max[32];
	snprintf(max, sizeof(max), "%u", CPUMASK_MAX_CPU);
	ok(cpumask_parse(max, &m) && cpumask_last(&m) == CPUMASK_MAX_CPU && cpumask_weight(&m) == 1,
	   "CPU number CPUMASK_MAX_CPU itself is accepted");
	cpumask_free(&m);
}

static void test_weight_last_and(void)
{
	struct cpumask a = CPUMASK_INIT, b = CPUMASK_INIT, empty = CPUMASK_INIT;

	ok(cpumask_weight(&empty) == 0, "empty mask has weight 0");
	ok(cpumask_last(&empty) == -1, "empty mask: last is -1");

	ok(cpumask_parse("1,3-5,64-127", &a), "parse 1,3-5,64-127");
	is_u64(cpumask_weight(&a), 1 + 3 + 64, "weight of 1,3-5,64-127");
	is_u64((uint64_t)cpumask_last(&a), 127, "last of 1,3-5,64-127");
	ok(cpumask_test(&a, 64) && cpumask_test(&a, 4) && !cpumask_test(&a, 2) && !cpumask_test(&a, 128) &&
	   !cpumask_test(&a, 100000), "test: members and non-members (far beyond the mask too)");

	ok(cpumask_parse("0-3,130", &b), "parse 0-3,130");
	cpumask_and(&a, &b);
	is_u64(cpumask_weight(&a), 2, "1,3-5,64-127 AND 0-3,130 has 2 CPUs");
	struct strbuf sb = STRBUF_INIT;
	cpumask_format(&a, &sb);
	is_str(sb_str(&sb), "1,3", "1,3-5,64-127 AND 0-3,130 = 1,3");
	is_u64((uint64_t)cpumask_last(&a), 3, "last after AND drops the high word");

	/* AND with a shorter mask clears the words the other lacks. */
	ok(cpumask_parse("0-200", &a) && cpumask_parse("5", &b), "parse 0-200 and 5");
	cpumask_and(&a, &b);
	sb_reset(&sb);
	cpumask_format(&a, &sb);
	is_str(sb_str(&sb), "5", "0-200 AND 5 = 5");

	/* AND of a short mask with a longer one. */
	ok(cpumask_parse("2", &a) && cpumask_parse("0-200", &b), "parse 2 and 0-200");
	cpumask_and(&a, &b);
	is_u64(cpumask_weight(&a), 1, "2 AND 0-200 = one CPU");

	struct cpumask c = CPUMASK_INIT;
	cpumask_copy(&c, &b);
	cpumask_clear(&b);
	ok(cpumask_weight(&b) == 0 && cpumask_weight(&c) == 201, "copy is independent of the source");

	sb_free(&sb);
	cpumask_free(&a);
	cpumask_free(&b);
	cpumask_free(&c);
}

static void test_512(void)
{
	struct cpumask m = CPUMASK_INIT;
	struct strbuf sb = STRBUF_INIT;

	ok(cpumask_parse("0-511\n", &m), "a 512-CPU list parses");
	is_u64(cpumask_weight(&m), 512, "512 CPUs counted");
	is_u64((uint64_t)cpumask_last(&m), 511, "last CPU is 511");
	render_cpulist(&sb, &m);
	is_str(sb_str(&sb), "0-511\n", "online file of a 512-CPU host is whole");

	/* Every other CPU: 256 ranges, a long line with no size limit. */
	struct strbuf list = STRBUF_INIT;
	for (unsigned cpu = 0; cpu < 512; cpu += 2)
		sb_printf(&list, cpu ? ",%u" : "%u", cpu);
	char *got = round_trip(sb_str(&list));
	is_str(got, sb_str(&list), "512-CPU host with every other CPU round-trips (%zu chars)", list.len);
	free(got);
	ok(cpumask_parse(sb_str(&list), &m) && cpumask_weight(&m) == 256 && cpumask_last(&m) == 510,
	   "every other CPU of 512: 256 CPUs, last 510");

	struct cpumask empty = CPUMASK_INIT;
	sb_reset(&sb);
	render_cpulist(&sb, &empty);
	is_str(sb_str(&sb), "\n", "an empty CPU set renders as an empty line");

	sb_free(&list);
	sb_free(&sb);
	cpumask_free(&m);
}

int main(void)
{
	test_round_trips();
	test_garbage();
	test_weight_last_and();
	test_512();
	return tap_done();
}
