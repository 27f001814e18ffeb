/* Defensive parsers for the text the kernel (or a broken fixture) hands us.
 * Each returns false on anything it does not fully understand; callers then
 * fall back to a host value. No parser trusts a length or a terminator. */
#ifndef CVIEWFS_PARSE_H
#define CVIEWFS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decimal unsigned integer, optionally surrounded by blanks/newline.
 * Rejects signs, garbage, empty input and overflow. */
bool parse_u64(const char *s, uint64_t *out);
/* Same, signed. */
bool parse_i64(const char *s, int64_t *out);

/* A cgroup byte limit: "max" (v2) and v1's huge "unlimited" values give
 * UINT64_MAX. Anything else must be a plain number. */
bool parse_limit(const char *s, uint64_t *out);
/* v1 reports "no limit" as a page-aligned value near 2^63; anything at or
 * above this is treated as no limit. */
#define CG_UNLIMITED_THRESHOLD (UINT64_C(1) << 60)

/* Looks up an exact key in "key value" lines (memory.stat, cpu.stat).
 * "file" does not match "file_mapped"; the value must parse as a u64. */
bool kv_get_u64(const char *text, const char *key, uint64_t *out);

/* Looks up an exact key in /proc/meminfo-style "Key:   123 kB" lines and
 * returns the number (in kB for kB lines). */
bool meminfo_get(const char *text, const char *key, uint64_t *out);

/* Several keys in one pass over "KEY<sep>NUMBER" lines (sep: any of seps;
 * "key value" lines with " \t", meminfo lines with ":"). For each keys[i]
 * (NULL entries are skipped; n <= 64) whose first line holds a u64, sets
 * vals[i] and bit i of the result; *present (if not NULL) gets bit i for
 * every key found at all, with a number or not. The same matches as
 * kv_get_u64 and meminfo_get, without a scan of the text per key. */
uint64_t kv_get_many(const char *text, const char *seps, const char *const *keys, size_t n,
		     uint64_t *vals, uint64_t *present);

/* Returns a pointer to the start of line `key` ("key" then a separator) in
 * text, or NULL. Separator is any of `seps`. */
const char *find_line(const char *text, const char *key, const char *seps);

/* Field `index` (1-based) of /proc/<pid>/stat, counted after the "(comm)"
 * which may itself contain spaces and parentheses. */
bool proc_stat_field(const char *stat_text, int index, uint64_t *out);

#endif
