/* cgroup v1 blkio ("8:0 Read 12" lines): io_serviced_recursive and
 * io_service_bytes_recursive, of throttle or bfq, and the host's
 * /proc/diskstats and /proc/partitions the result is rendered with. Input
 * parts (fuzz.h): io_serviced, io_service_bytes, diskstats, partitions. */
#include "defaults.h"
#include "io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	struct cg_io io;

	fuzz_split(data, size, &in);
	/* Like cg_read_io's callers, free only what a parse that succeeded
	 * returns: a false one must leave nothing allocated. */
	if (blkio_parse(in.part[0], fuzz_part(&in, 1, ""), &io)) {
		io_render(&io, fuzz_part(&in, 2, default_diskstats), fuzz_part(&in, 3, default_partitions));
		cg_io_free(&io);
	}
	fuzz_free(&in);
	return 0;
}
