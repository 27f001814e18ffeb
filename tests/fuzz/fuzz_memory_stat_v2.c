/* cgroup v2 memory.stat and the v2 limit files, rendered as /proc/meminfo
 * and /proc/swaps. Input parts (fuzz.h): memory.stat, host meminfo,
 * memory.max, memory.current, memory.swap.max, memory.swap.current. */
#include "defaults.h"
#include "memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	fuzz_split(data, size, &in);
	memory_fuzz(2, in.part[0], fuzz_part(&in, 1, default_meminfo), &in, 2);
	fuzz_free(&in);
	return 0;
}
