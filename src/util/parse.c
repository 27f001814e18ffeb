#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool only_trailing_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

bool parse_u64(const char *s, uint64_t *out)
{
	if (!s)
		return false;
	s = skip_blanks(s);
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE || !only_trailing_space(end))
		return false;
	*out = v;
	return true;
}

bool parse_i64(const char *s, int64_t *out)
{
	if (!s)
		return false;
	s = skip_blanks(s);
	const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
	if (!isdigit((unsigned char)*digits))
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno == ERANGE || !only_trailing_space(end))
		return false;
	*out = v;
	return true;
}

bool parse_limit(const char *s, uint64_t *out)
{
	if (!s)
		return false;
	const char *p = skip_blanks(s);
	if (!strncmp(p, "max", 3) && only_trailing_space(p + 3)) {
		*out = UINT64_MAX;
		return true;
	}
	uint64_t v;
	if (!parse_u64(p, &v))
		return false;
	*out = v >= CG_UNLIMITED_THRESHOLD ? UINT64_MAX : v;
	return true;
}

const char *find_line(const char *text, const char *key, const char *seps)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		if (!strncmp(line, key, klen) && line[klen] && strchr(seps, line[klen]))
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

/* Parses the first number after `p` (on the same line) into out. */
static bool number_after(const char *p, uint64_t *out)
{
	p = skip_blanks(p);
	if (!isdigit((unsigned char)*p))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno == ERANGE)
		return false;
	if (*end != '\0' && *end != '\n' && *end != ' ' && *end != '\t' && *end != '\r')
		return false;
	*out = v;
	return true;
}

bool kv_get_u64(const char *text, const char *key, uint64_t *out)
{
	const char *line = find_line(text, key, " \t");
	return line && number_after(line + strlen(key), out);
}

bool meminfo_get(const char *text, const char *key, uint64_t *out)
{
	const char *line = find_line(text, key, ":");
	return line && number_after(line + strlen(key) + 1, out);
}

uint64_t kv_get_many(const char *text, const char *seps, const char *const *keys, size_t n,
		     uint64_t *vals, uint64_t *present)
{
	size_t len[64];
	uint64_t want = 0, seen = 0, found = 0;
	char stop[16]; /* a separator or the end of the line ends the key */

	if (n > 64)
		n = 64;
	snprintf(stop, sizeof(stop), "%.14s\n", seps);
	for (size_t i = 0; i < n; i++) {
		len[i] = keys[i] ? strlen(keys[i]) : 0;
		if (keys[i])
			want |= 1ULL << i;
	}
	for (const char *line = text; *line && seen != want;) {
		size_t klen = strcspn(line, stop);
		const char *sep = line + klen, *eol = *sep == '\n' ? sep : strchrnul(sep, '\n');
		for (size_t i = 0; sep < eol && i < n; i++) {
			if (!(want & ~seen & 1ULL << i) || len[i] != klen || memcmp(line, keys[i], klen))
				continue;
			seen |= 1ULL << i;
			if (number_after(sep + 1, &vals[i]))
				found |= 1ULL << i;
		}
		line = *eol ? eol + 1 : eol;
	}
	if (present)
		*present = seen;
	return found;
}

bool proc_stat_field(const char *stat_text, int index, uint64_t *out)
{
	/* Fields 1 and 2 are pid and (comm); comm can hold ") (" so use the
	 * last ')'. */
	const char *p = strrchr(stat_text, ')');
	if (!p || index < 3)
		return false;
	p++;
	for (int field = 3; field <= index; field++) {
		p = skip_blanks(p);
		if (!*p || *p == '\n')
			return false;
		if (field == index) {
			/* Field 3 is the state letter; only numeric fields are asked for. */
			return number_after(p, out);
		}
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return false;
}
