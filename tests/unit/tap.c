#include "tap.h"

#include "util/fileio.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned n_tests, n_failed;

static bool report(bool cond, const char *fmt, va_list ap)
{
	n_tests++;
	printf("%s %u - ", cond ? "ok" : "not ok", n_tests);
	vprintf(fmt, ap);
	putchar('\n');
	if (!cond)
		n_failed++;
	fflush(stdout);
	return cond;
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = report(cond, fmt, ap);
	va_end(ap);
	return r;
}

bool tap_is_u64(uint64_t got, uint64_t want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = report(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got %llu, want %llu\n", (unsigned long long)got, (unsigned long long)want);
	return r;
}

bool tap_is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	bool same = got && want && !strcmp(got, want);
	va_start(ap, fmt);
	bool r = report(same, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return r;
}

int tap_done(void)
{
	printf("1..%u\n", n_tests);
	return n_failed ? 1 : 0;
}

uint64_t tap_kb(const char *text, const char *key)
{
	uint64_t v;
	return meminfo_get(text, key, &v) ? v : UINT64_MAX;
}

unsigned tap_count_prefix(const char *text, const char *prefix)
{
	unsigned n = 0;
	size_t len = strlen(prefix);
	for (const char *line = text; line && *line;) {
		if (!strncmp(line, prefix, len))
			n++;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

char *tap_fixture_path(const char *rel)
{
	const char *dir = getenv("FIXTURES");
	return xasprintf("%s/%s", dir ? dir : "tests/fixtures", rel);
}

char *tap_fixture(const char *rel)
{
	char *path = tap_fixture_path(rel);
	struct strbuf sb = STRBUF_INIT;
	if (read_file_at(AT_FDCWD, path, false, &sb) < 0) {
		printf("Bail out! cannot read fixture %s\n", path);
		exit(1);
	}
	free(path);
	return sb.buf ? sb.buf : xstrdup("");
}
