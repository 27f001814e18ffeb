/* sysinfo(2) values from a container's rendered files, and their layout
 * for 64-bit and i386 callers. */
#include "agent/sysinfo.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysinfo.h>

static const char *MEMINFO = "MemTotal:         262144 kB\n"
			     "MemFree:          200000 kB\n"
			     "MemAvailable:     220000 kB\n"
			     "Buffers:               0 kB\n"
			     "Cached:            10000 kB\n"
			     "Shmem:              1024 kB\n"
			     "SwapTotal:        102400 kB\n"
			     "SwapFree:          92160 kB\n";

static void test_values(void)
{
	struct sysinfo_values v;
	ok(sysinfo_values_parse(MEMINFO, "42.97 80.00\n", "0.50 1.25 10.00 2/37 123\n", 37, &v) == 0,
	   "a container's meminfo, uptime and loadavg parse");
	is_u64(v.totalram, 262144ULL * 1024, "totalram is MemTotal in bytes");
	is_u64(v.freeram, 200000ULL * 1024, "freeram is MemFree");
	is_u64(v.sharedram, 1024ULL * 1024, "sharedram is Shmem");
	is_u64(v.bufferram, 0, "bufferram is Buffers");
	is_u64(v.totalswap, 102400ULL * 1024, "totalswap is SwapTotal");
	is_u64(v.freeswap, 92160ULL * 1024, "freeswap is SwapFree");
	is_u64((uint64_t)v.uptime, 42, "uptime is the first field, truncated");
	is_u64(v.loads[0], 32768, "0.50 is 32768 (x 65536)");
	is_u64(v.loads[1], 81920, "1.25 is 81920");
	is_u64(v.loads[2], 655360, "10.00 is 655360");
	is_u64(v.procs, 37, "procs as given");

	ok(sysinfo_values_parse("MemTotal: 1 kB\n", "1.0 1.0", "0.00 0.00 0.00 1/1 1", 1, &v) == -EINVAL,
	   "a meminfo without MemFree: nothing invented");
	ok(sysinfo_values_parse(MEMINFO, "garbage", "0.00 0.00 0.00 1/1 1", 1, &v) == -EINVAL, "an unreadable uptime");
	ok(sysinfo_values_parse(MEMINFO, "1.00 1.00", "0.5 0.00 0.00 1/1 1", 1, &v) == -EINVAL,
	   "a load without its two decimals");
	ok(sysinfo_values_parse(MEMINFO, "1.00 1.00", "", 1, &v) == -EINVAL, "an empty loadavg");
	const char *huge = "MemTotal: 99999999999999999999 kB\nMemFree: 1 kB\nBuffers: 0 kB\nShmem: 0 kB\n"
			   "SwapTotal: 0 kB\nSwapFree: 0 kB\n";
	ok(sysinfo_values_parse(huge, "1.00 1.00", "0.00 0.00 0.00 1/1 1", 1, &v) == -EINVAL,
	   "a MemTotal past 64 bits");
}

static void test_layout_lp64(void)
{
	struct sysinfo_values v;
	unsigned char buf[SYSINFO_LAYOUT_MAX];
	sysinfo_values_parse(MEMINFO, "42.97 80.00\n", "0.50 1.25 10.00 2/37 123\n", 70000, &v);
	size_t n = sysinfo_layout(&v, false, buf);
	is_u64(n, sizeof(struct sysinfo), "the 64-bit layout is the size of this ABI's struct sysinfo");
	struct sysinfo si;
	memcpy(&si, buf, sizeof(si));
	is_u64(si.totalram * si.mem_unit, 256ULL << 20, "as the C library reads it: 256 MiB total");
	is_u64(si.mem_unit, 1, "mem_unit 1: every value fits");
	is_u64(si.freeswap, 92160ULL * 1024, "freeswap in bytes");
	is_u64((uint64_t)si.uptime, 42, "uptime");
	is_u64(si.loads[1], 81920, "loads");
	is_u64(si.procs, 65535, "procs capped at 65535 (70000 threads)");
	is_u64(si.totalhigh + si.freehigh, 0, "no high memory");
}

static void test_layout_i386(void)
{
	struct sysinfo_values v;
	unsigned char buf[SYSINFO_LAYOUT_MAX];
	sysinfo_values_parse(MEMINFO, "42.97 80.00\n", "0.50 1.25 10.00 2/37 123\n", 37, &v);
	is_u64(sysinfo_layout(&v, true, buf), 64, "the i386 layout is 64 bytes");
	uint32_t total, unit, uptime;
	uint16_t procs;
	memcpy(&uptime, buf, 4);
	memcpy(&total, buf + 16, 4);
	memcpy(&procs, buf + 40, 2);
	memcpy(&unit, buf + 52, 4);
	is_u64(uptime, 42, "i386: uptime at offset 0");
	is_u64((uint64_t)total * unit, 256ULL << 20, "i386: totalram at offset 16, 256 MiB");
	is_u64(unit, 1, "i386: mem_unit 1 while everything fits 32 bits");
	is_u64(procs, 37, "i386: procs at offset 40");

	v.totalram = 64ULL << 30; /* a 64 GiB container */
	v.freeram = 63ULL << 30;
	sysinfo_layout(&v, true, buf);
	memcpy(&total, buf + 16, 4);
	memcpy(&unit, buf + 52, 4);
	uint32_t freeram;
	memcpy(&freeram, buf + 20, 4);
	is_u64(unit, 32, "i386, 64 GiB: the smallest power of two that fits it in 32 bits (16 leaves 2^32)");
	is_u64((uint64_t)total * unit, 64ULL << 30, "i386, 64 GiB: totalram x mem_unit is still 64 GiB");
	is_u64((uint64_t)freeram * unit, 63ULL << 30, "i386: freeram scaled alike");
}

int main(void)
{
	test_values();
	test_layout_lp64();
	test_layout_i386();
	return tap_done();
}
