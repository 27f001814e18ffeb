/* The defensive parsers every cgroup and /proc value goes through. */
#include "tap.h"

#include "util/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_parse_u64(void)
{
	uint64_t v = 7;

	ok(parse_u64("0", &v) && v == 0, "u64: \"0\" is 0");
	ok(parse_u64("536870912\n", &v) && v == 536870912, "u64: a cgroup file with its trailing newline parses");
	ok(parse_u64("  42 \n", &v) && v == 42, "u64: surrounding blanks are accepted");
	ok(parse_u64("18446744073709551615", &v) && v == UINT64_MAX, "u64: the largest u64 parses");
	v = 7;
	ok(!parse_u64("18446744073709551616", &v) && v == 7, "u64: one past the largest u64 is refused, output untouched");
	ok(!parse_u64("99999999999999999999999", &v), "u64: a huge number is refused");
	ok(!parse_u64("", &v), "u64: empty input is refused");
	ok(!parse_u64("\n", &v), "u64: a lone newline is refused");
	ok(!parse_u64("-1", &v), "u64: a negative number is refused (strtoull would wrap it)");
	ok(!parse_u64(" -1", &v), "u64: a negative number after blanks is refused");
	ok(!parse_u64("+5", &v), "u64: an explicit sign is refused");
	ok(!parse_u64("12abc", &v), "u64: trailing garbage is refused");
	ok(!parse_u64("abc", &v), "u64: garbage is refused");
	ok(!parse_u64("12 34", &v), "u64: two numbers are refused");
	ok(!parse_u64("max", &v), "u64: \"max\" is not a number");
	ok(!parse_u64(NULL, &v), "u64: NULL is refused");
}

static void test_parse_i64(void)
{
	int64_t v = 7;

	ok(parse_i64("-1\n", &v) && v == -1, "i64: v1's cfs_quota_us \"-1\" parses");
	ok(parse_i64("100000\n", &v) && v == 100000, "i64: a positive number parses");
	ok(parse_i64("+5", &v) && v == 5, "i64: an explicit plus sign parses");
	ok(parse_i64("-9223372036854775808", &v) && v == INT64_MIN, "i64: the smallest i64 parses");
	ok(parse_i64("9223372036854775807", &v) && v == INT64_MAX, "i64: the largest i64 parses");
	v = 7;
	ok(!parse_i64("9223372036854775808", &v) && v == 7, "i64: overflow is refused, output untouched");
	ok(!parse_i64("-9223372036854775809", &v), "i64: negative overflow is refused");
	ok(!parse_i64("", &v), "i64: empty input is refused");
	ok(!parse_i64("-", &v), "i64: a lone sign is refused");
	ok(!parse_i64("--1", &v), "i64: a double sign is refused");
	ok(!parse_i64("1x", &v), "i64: trailing garbage is refused");
}

static void test_parse_limit(void)
{
	uint64_t v = 7;

	ok(parse_limit("max\n", &v) && v == UINT64_MAX, "limit: v2 \"max\" means no limit");
	ok(parse_limit("max", &v) && v == UINT64_MAX, "limit: \"max\" without newline means no limit");
	v = 0;
	ok(parse_limit("9223372036854771712\n", &v) && v == UINT64_MAX,
	   "limit: v1's 9223372036854771712 means no limit");
	v = 0;
	ok(parse_limit("9223372036854775807", &v) && v == UINT64_MAX, "limit: INT64_MAX means no limit");
	ok(parse_limit("268435456\n", &v) && v == 268435456, "limit: a plain byte count is kept");
	ok(parse_limit("0\n", &v) && v == 0, "limit: 0 is a (tiny) limit, not \"none\"");
	ok(!parse_limit("", &v), "limit: empty file is refused");
	ok(!parse_limit("maximum", &v), "limit: \"maximum\" is refused");
	ok(!parse_limit("max 100000", &v), "limit: cpu.max syntax is not a byte limit");
	ok(!parse_limit("-1", &v), "limit: a negative number is refused");
	ok(!parse_limit("lots", &v), "limit: garbage is refused");
	ok(!parse_limit("18446744073709551616", &v), "limit: overflow is refused");
}

static void test_kv(void)
{
	const char *v2 = "anon 4096\nfile 8192\nfile_mapped 12288\nfile_dirty 16384\nshmem 0\n";
	uint64_t v = 0;

	ok(kv_get_u64(v2, "file", &v) && v == 8192, "kv: \"file\" finds the file line");
	ok(kv_get_u64(v2, "file_mapped", &v) && v == 12288, "kv: \"file_mapped\" finds its own line");
	ok(kv_get_u64(v2, "anon", &v) && v == 4096, "kv: the first line is found");
	ok(kv_get_u64(v2, "shmem", &v) && v == 0, "kv: a zero value is found");

	/* The key that is a prefix of another comes second. */
	const char *rev = "file_mapped 12288\nfile_dirty 16384\nfile 8192\n";
	ok(kv_get_u64(rev, "file", &v) && v == 8192, "kv: \"file\" does not match an earlier \"file_mapped\" line");
	const char *only_longer = "file_mapped 12288\nfile_dirty 16384\n";
	ok(!kv_get_u64(only_longer, "file", &v), "kv: \"file\" is absent when only file_* keys exist");
	ok(!kv_get_u64(v2, "file_map", &v), "kv: a prefix of a key is not that key");
	const char *v1 = "rss 100\nrss_huge 200\ntotal_rss 300\ntotal_rss_huge 400\n";
	ok(kv_get_u64(v1, "total_rss_huge", &v) && v == 400, "kv: v1 total_rss_huge");
	ok(kv_get_u64(v1, "total_rss", &v) && v == 300, "kv: v1 total_rss is not total_rss_huge");
	ok(kv_get_u64(v1, "rss", &v) && v == 100, "kv: rss does not match inside total_rss");

	ok(kv_get_u64("usage_usec\t777\n", "usage_usec", &v) && v == 777, "kv: a tab separator works");
	ok(kv_get_u64("a 1\nlast 99", "last", &v) && v == 99, "kv: a last line without newline works");
	ok(!kv_get_u64("file abc\n", "file", &v), "kv: a garbage value is refused");
	ok(!kv_get_u64("file 12abc\n", "file", &v), "kv: a number with trailing garbage is refused");
	ok(!kv_get_u64("file -5\n", "file", &v), "kv: a negative value is refused");
	ok(!kv_get_u64("file 99999999999999999999999\n", "file", &v), "kv: an overflowing value is refused");
	ok(!kv_get_u64("file\n", "file", &v), "kv: a key without value is refused");
	ok(!kv_get_u64("", "file", &v), "kv: empty text");
	ok(!kv_get_u64("xfile 3\n", "file", &v), "kv: key must start the line");
}

/* kv_get_many must find what kv_get_u64 / meminfo_get find, key by key. */
static void same_as_single(const char *text, const char *seps, const char *const *keys, size_t n,
			   const char *what)
{
	uint64_t vals[16], present, found = kv_get_many(text, seps, keys, n, vals, &present);
	bool same = true;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;
		bool one = !keys[i] ? false
		    : strchr(seps, ':') ? meminfo_get(text, keys[i], &v) : kv_get_u64(text, keys[i], &v);
		bool many = found & (1ULL << i);
		if (one != many || (one && v != vals[i])) {
			printf("# %s: key %s: single %d (%llu), many %d (%llu)\n", what, keys[i] ? keys[i] : "NULL",
			     one, (unsigned long long)v, many, (unsigned long long)vals[i]);
			same = false;
		}
	}
	ok(same, "kv_get_many: %s, the same as one lookup per key", what);
}

static void test_kv_many(void)
{
	const char *keys[] = { "file", "file_mapped", "anon", "shmem", "file_map", "total_rss",
			       "total_rss_huge", "rss", NULL, "usage_usec", "last" };
	size_t n = sizeof(keys) / sizeof(keys[0]);
	const char *texts[] = {
		"anon 4096\nfile 8192\nfile_mapped 12288\nfile_dirty 16384\nshmem 0\n",
		"file_mapped 12288\nfile_dirty 16384\nfile 8192\n",
		"rss 100\nrss_huge 200\ntotal_rss 300\ntotal_rss_huge 400\n",
		"usage_usec\t777\n", "a 1\nlast 99", "file abc\n", "file 12abc\nanon 5\n",
		"file\nanon 3\n", "", "xfile 3\n", "file 1\nfile 2\n", "\n\nanon 7\n\n",
	};
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		char what[32];
		snprintf(what, sizeof(what), "kv text %zu", t);
		same_as_single(texts[t], " \t", keys, n, what);
	}

	uint64_t vals[3], present;
	const char *three[] = { "file", "anon", "shmem" };
	uint64_t found = kv_get_many("file abc\nanon 5\n", " \t", three, 3, vals, &present);
	ok(found == 2 && present == 3 && vals[1] == 5,
	   "kv_get_many: a key with garbage is present but not found (found %#llx, present %#llx)",
	   (unsigned long long)found, (unsigned long long)present);
	found = kv_get_many("file 1\nfile 2\n", " \t", three, 3, vals, NULL);
	ok(found == 1 && vals[0] == 1, "kv_get_many: the first line of a key counts");

	char *host = tap_fixture("host/meminfo");
	const char *mkeys[] = { "MemTotal", "MemFree", "Active", "Active(anon)", "HugePages_Total",
				"SwapTotal", "Mem", "Zswap", "Hugepagesize", "DirectMap4k" };
	same_as_single(host, ":", mkeys, sizeof(mkeys) / sizeof(mkeys[0]), "captured host meminfo");
	free(host);
}

static void test_meminfo_get(void)
{
	char *host = tap_fixture("host/meminfo");
	uint64_t v = 0;

	ok(meminfo_get(host, "MemTotal", &v) && v > 0, "meminfo_get: MemTotal of the captured host");
	const char *t = "MemTotal:       24683620 kB\nActive:             9164 kB\n"
			"Active(anon):       1536 kB\nHugePages_Total:       7\nSwapTotal:  0 kB\n";
	ok(meminfo_get(t, "MemTotal", &v) && v == 24683620, "meminfo_get: MemTotal");
	ok(meminfo_get(t, "Active", &v) && v == 9164, "meminfo_get: Active is not Active(anon)");
	ok(meminfo_get(t, "Active(anon)", &v) && v == 1536, "meminfo_get: Active(anon)");
	ok(meminfo_get(t, "HugePages_Total", &v) && v == 7, "meminfo_get: a line without kB");
	ok(meminfo_get(t, "SwapTotal", &v) && v == 0, "meminfo_get: zero");
	ok(!meminfo_get(t, "Mem", &v), "meminfo_get: a prefix of a key is not found");
	ok(!meminfo_get(t, "Zswap", &v), "meminfo_get: absent key");
	free(host);
}

static void test_find_line(void)
{
	const char *t = "a 1\nab 2\nabc:3\n";

	is_str(find_line(t, "ab", " "), "ab 2\nabc:3\n", "find_line: exact key with separator");
	is_str(find_line(t, "abc", ":"), "abc:3\n", "find_line: key with ':' separator");
	ok(find_line(t, "abc", " ") == NULL, "find_line: wrong separator is no match");
	ok(find_line(t, "b", " ") == NULL, "find_line: key must start a line");
	ok(find_line("", "a", " ") == NULL, "find_line: empty text");
	ok(find_line("abc", "abc", " :") == NULL, "find_line: key at end of text without separator");
}

static void test_proc_stat(void)
{
	/* A real /proc/<pid>/stat line (cat, Linux 6.18). */
	const char *plain = "8194 (cat) R 8189 8189 3108 0 -1 4194304 97 0 0 0 0 0 0 0 20 0 1 0 216486 "
			    "3133440 380 18446744073709551615 94650055991296 94650056011177 0 0 0\n";
	uint64_t v = 0;

	ok(proc_stat_field(plain, 22, &v) && v == 216486, "stat: field 22 (starttime)");
	ok(proc_stat_field(plain, 4, &v) && v == 8189, "stat: field 4 (ppid)");
	ok(proc_stat_field(plain, 25, &v) && v == UINT64_MAX, "stat: field 25 (rsslim, the u64 max)");
	ok(!proc_stat_field(plain, 3, &v), "stat: field 3 is the state letter, not a number");
	ok(!proc_stat_field(plain, 8, &v), "stat: a negative field (tpgid -1) is refused");
	ok(!proc_stat_field(plain, 2, &v), "stat: the comm field is refused");
	ok(!proc_stat_field(plain, 60, &v), "stat: a field past the end is refused");

	/* comm may hold spaces and parentheses: prctl(PR_SET_NAME, "a) (b 7 8"). */
	const char *nasty = "4001 (a) (b 7 8) S 1 4001 4001 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 555 "
			    "1000 10 18446744073709551615\n";
	ok(proc_stat_field(nasty, 22, &v) && v == 555, "stat: comm with spaces and ')' does not shift field 22");
	ok(proc_stat_field(nasty, 4, &v) && v == 1, "stat: comm with spaces and ')' does not shift field 4");
	const char *endparen = "77 (x)) S 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 31337 0 0\n";
	ok(proc_stat_field(endparen, 22, &v) && v == 31337, "stat: comm ending in ')'");
	ok(!proc_stat_field("garbage", 22, &v), "stat: text without ')' is refused");
	ok(!proc_stat_field("", 22, &v), "stat: empty text is refused");
}

int main(void)
{
	test_parse_u64();
	test_parse_i64();
	test_parse_limit();
	test_kv();
	test_kv_many();
	test_meminfo_get();
	test_find_line();
	test_proc_stat();
	return tap_done();
}
