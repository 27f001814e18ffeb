#include "agent/sysinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The kB value of "key:" in a meminfo text, in bytes. */
static bool meminfo_bytes(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) || p[klen] != ':')
			continue;
		char *end;
		errno = 0;
		unsigned long long kb = strtoull(p + klen + 1, &end, 10);
		if (errno || end == p + klen + 1 || kb > UINT64_MAX / 1024)
			return false;
		*out = (uint64_t)kb * 1024;
		return true;
	}
	return false;
}

/* "12.34" (two decimals, as /proc/loadavg prints) scaled by 65536. */
static bool load_scaled(const char **p, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long whole = strtoul(*p, &end, 10);
	if (errno || end == *p || *end != '.' || whole > 1000000)
		return false;
	const char *frac = end + 1;
	if (frac[0] < '0' || frac[0] > '9' || frac[1] < '0' || frac[1] > '9')
		return false;
	unsigned hundredths = (unsigned)(frac[0] - '0') * 10 + (unsigned)(frac[1] - '0');
	*out = ((uint64_t)whole * 100 + hundredths) * 65536 / 100;
	*p = frac + 2;
	return true;
}

int sysinfo_values_parse(const char *meminfo, const char *uptime, const char *loadavg, uint64_t procs,
			 struct sysinfo_values *out)
{
	struct sysinfo_values v = { .procs = procs };
	if (!meminfo_bytes(meminfo, "MemTotal", &v.totalram) || !meminfo_bytes(meminfo, "MemFree", &v.freeram) ||
	    !meminfo_bytes(meminfo, "Shmem", &v.sharedram) || !meminfo_bytes(meminfo, "Buffers", &v.bufferram) ||
	    !meminfo_bytes(meminfo, "SwapTotal", &v.totalswap) || !meminfo_bytes(meminfo, "SwapFree", &v.freeswap))
		return -EINVAL;
	char *end;
	errno = 0;
	double up = strtod(uptime, &end);
	if (errno || end == uptime || !(up >= 0) || up > 1e15)
		return -EINVAL;
	v.uptime = (int64_t)up; /* truncated, as the kernel's own */
	const char *p = loadavg;
	for (int i = 0; i < 3; i++) {
		while (*p == ' ')
			p++;
		if (!load_scaled(&p, &v.loads[i]))
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/* The i386 struct sysinfo: longs are 32 bits. */
struct sysinfo_i386 {
	int32_t uptime;
	uint32_t loads[3];
	uint32_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t totalhigh, freehigh;
	uint32_t mem_unit;
	char f[8];
} __attribute__((packed));

/* And the LP64 one. */
struct sysinfo_lp64 {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	uint32_t f;
};

_Static_assert(sizeof(struct sysinfo_i386) == 64, "the i386 struct sysinfo is 64 bytes");
_Static_assert(sizeof(struct sysinfo_lp64) == SYSINFO_LAYOUT_MAX, "the LP64 struct sysinfo is 112 bytes");

/* The smallest power of two by which every memory value fits in max. */
static uint32_t mem_unit_for(const struct sysinfo_values *v, uint64_t max)
{
	uint64_t largest = v->totalram;
	const uint64_t others[] = { v->freeram, v->sharedram, v->bufferram, v->totalswap, v->freeswap };
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (others[i] > largest)
			largest = others[i];
	uint32_t unit = 1;
	while (largest / unit > max && unit < (1u << 31))
		unit <<= 1;
	return unit;
}

size_t sysinfo_layout(const struct sysinfo_values *v, bool i386, unsigned char *buf)
{
	uint16_t procs = v->procs > UINT16_MAX ? UINT16_MAX : (uint16_t)v->procs;
	if (i386) {
		uint32_t unit = mem_unit_for(v, UINT32_MAX);
		struct sysinfo_i386 s = {
			.uptime = v->uptime > INT32_MAX ? INT32_MAX : (int32_t)v->uptime,
			.totalram = (uint32_t)(v->totalram / unit), .freeram = (uint32_t)(v->freeram / unit),
			.sharedram = (uint32_t)(v->sharedram / unit), .bufferram = (uint32_t)(v->bufferram / unit),
			.totalswap = (uint32_t)(v->totalswap / unit), .freeswap = (uint32_t)(v->freeswap / unit),
			.procs = procs, .mem_unit = unit,
		};
		for (int i = 0; i < 3; i++)
			s.loads[i] = v->loads[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)v->loads[i];
		memcpy(buf, &s, sizeof(s));
		return sizeof(s);
	}
	struct sysinfo_lp64 s = {
		.uptime = v->uptime, .loads = { v->loads[0], v->loads[1], v->loads[2] },
		.totalram = v->totalram, .freeram = v->freeram, .sharedram = v->sharedram,
		.bufferram = v->bufferram, .totalswap = v->totalswap, .freeswap = v->freeswap,
		.procs = procs, .mem_unit = mem_unit_for(v, UINT64_MAX),
	};
	memcpy(buf, &s, sizeof(s));
	return sizeof(s);
}
