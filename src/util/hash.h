/* The string hash every keyed table here uses (FNV-1a). */
#ifndef CVIEWFS_HASH_H
#define CVIEWFS_HASH_H

#include <stdint.h>

static inline uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

#endif
