/* sysinfo(2) for a container, from the same container's files: pure (no
 * I/O), fed the rendered text of its /proc/meminfo, /proc/uptime and
 * /proc/loadavg, so what a program learns through the system call never
 * contradicts what it reads (docs: SPEC section 8). */
#ifndef CVIEWFS_AGENT_SYSINFO_H
#define CVIEWFS_AGENT_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The values, before they are laid out for a caller: memory in bytes,
 * loads scaled by 65536 (SI_LOAD_SHIFT). */
struct sysinfo_values {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint64_t procs; /* threads; capped when laid out */
};

/* 0, or -EINVAL when a value cannot be read from the texts (the caller
 * then lets the real call run rather than invent one). */
int sysinfo_values_parse(const char *meminfo, const char *uptime, const char *loadavg, uint64_t procs,
			 struct sysinfo_values *out);

/* The largest layout (x86_64's struct sysinfo). */
#define SYSINFO_LAYOUT_MAX 112
/* Lays v out as the caller's struct sysinfo into buf: 64-bit (x86_64 and
 * other LP64 ABIs: 112 bytes) or the i386 layout (64 bytes). mem_unit is
 * 1 when every memory value fits its field, else the smallest power of two
 * that makes them fit. Returns the number of bytes. */
size_t sysinfo_layout(const struct sysinfo_values *v, bool i386, unsigned char *buf);

#endif
