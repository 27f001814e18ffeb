/* The hashes the keyed tables here use: FNV-1a for short names, and a
 * word-at-a-time mix for long binary keys (a render key holds a container's
 * cgroup paths, several hundred bytes, hashed at every cached read). */
#ifndef CVIEWFS_HASH_H
#define CVIEWFS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static inline uint64_t mem_hash(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

#endif
