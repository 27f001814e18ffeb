/* cgroup v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5
 * dios=6"), and the host's /proc/diskstats and /proc/partitions the result
 * is rendered with. Input parts (fuzz.h): io.stat, diskstats, partitions. */
#include "defaults.h"
#include "io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cg_io io;

	fuzz_split(data, size, &in);
	/* Like cg_read_io's callers, free only what a parse that succeeded
	 * returns: a false one must leave nothing allocated. */
	if (io_stat_parse(in.part[0], &io)) {
		io_render(&io, fuzz_part(&in, 1, default_diskstats), fuzz_part(&in, 2, default_partitions));
		cg_io_free(&io);
	}
	fuzz_free(&in);
	return 0;
}
