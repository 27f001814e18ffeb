/* The host's /proc/meminfo: the lookups (meminfo_get, kv_get_many) and
 * render_meminfo/render_swaps, which keep its lines and rewrite the known
 * ones. Input parts (fuzz.h): meminfo, a v2 memory.stat, then memory.max,
 * memory.current, memory.swap.max, memory.swap.current. */
#include "defaults.h"
#include "memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	fuzz_split(data, size, &in);
	memory_fuzz(2, fuzz_part(&in, 1, default_memory_stat_v2), in.part[0], &in, 2);
	fuzz_free(&in);
	return 0;
}
