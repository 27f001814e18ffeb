/* A minimal TAP producer for the unit tests (meson runs them with
 * protocol: 'tap' and counts every "ok"/"not ok" line). */
#ifndef CVIEWFS_TAP_H
#define CVIEWFS_TAP_H

#include <stdbool.h>
#include <stdint.h>

bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool tap_is_u64(uint64_t got, uint64_t want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool tap_is_str(const char *got, const char *want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints the plan and returns the exit status. */
int tap_done(void);

/* Value of "Key:  N kB" in text, or UINT64_MAX when the line is absent. */
uint64_t tap_kb(const char *text, const char *key);
/* Number of lines in text that start with prefix. */
unsigned tap_count_prefix(const char *text, const char *prefix);
/* Reads FIXTURES/<rel> (test environment) into a malloc'd string. */
char *tap_fixture(const char *rel);
/* Absolute path of FIXTURES/<rel> (malloc'd). */
char *tap_fixture_path(const char *rel);

#define ok(...) tap_ok(__VA_ARGS__)
#define is_u64(...) tap_is_u64(__VA_ARGS__)
#define is_str(...) tap_is_str(__VA_ARGS__)

#endif
