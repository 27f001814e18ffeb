/* The monotonic clock every cache bound, sample interval and timeout in the
 * daemon is measured on. */
#ifndef CVIEWFS_CLOCK_H
#define CVIEWFS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline double monotonic_s(void)
{
	return (double)monotonic_ns() / 1e9;
}

#endif
