/* cgroup v1 memory.stat (total_* keys) and the v1 limit files, rendered as
 * /proc/meminfo and /proc/swaps. Input parts (fuzz.h): memory.stat, host
 * meminfo, memory.limit_in_bytes, memory.usage_in_bytes,
 * memory.memsw.limit_in_bytes, memory.memsw.usage_in_bytes, swappiness. */
#include "defaults.h"
#include "memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	fuzz_split(data, size, &in);
	memory_fuzz(1, in.part[0], fuzz_part(&in, 1, default_meminfo), &in, 2);
	fuzz_free(&in);
	return 0;
}
