/* Block I/O: the cgroup sources, and diskstats/partitions rendering. */
#include "tap.h"
#include "cgroup/cgroup.h"
#include "render/render.h"
#include "util/strbuf.h"

#include <string.h>

static const char host_diskstats[] =
	"   7       0 loop0 1 0 2 0 0 0 0 0 0 4 0 0 0 0 0 0 0\n"
	" 254       0 vda 82476 31677 3789826 15085 7168 15348 585976 2319 0 8656 18162 4595 14 169368 685 485 72\n"
	" 254       1 vda1 100 0 800 1 0 0 0 0 0 1 1 0 0 0 0 0 0\n"
	"   8      16 sdb 5 0 40 0 5 0 40 0 0 0 0\n";

int main(void)
{
	struct cg_io io;

	ok(io_stat_parse("254:0 rbytes=1048576 wbytes=2097152 rios=10 wios=20 dbytes=4096 dios=1\n"
			 "7:0 rbytes=0 wbytes=0 rios=0 wios=0 dbytes=0 dios=0\n", &io),
	   "v2 io.stat parses");
	is_u64(io.n, 1, "io.stat: a device without I/O is left out");
	ok(io.dev[0].major == 254 && io.dev[0].minor == 0 && io.dev[0].rbytes == 1048576 &&
		   io.dev[0].wios == 20 && io.dev[0].dios == 1,
	   "io.stat: every counter by name");
	cg_io_free(&io);
	ok(!io_stat_parse("", &io), "an empty io.stat means no I/O");

	ok(blkio_parse("254:0 Read 10\n254:0 Write 20\n254:0 Sync 30\n254:0 Total 30\nTotal 30\n",
		       "254:0 Read 1048576\n254:0 Write 2097152\n254:0 Total 3145728\nTotal 3145728\n", &io),
	   "v1 blkio files parse");
	ok(io.n == 1 && io.dev[0].rios == 10 && io.dev[0].wios == 20 && io.dev[0].rbytes == 1048576 &&
		   io.dev[0].wbytes == 2097152,
	   "blkio: Read/Write ops and bytes per device, Total lines ignored");
	cg_io_free(&io);
	ok(!blkio_parse("Total 0\n", "Total 0\n", &io), "blkio with only 'Total 0' (no throttle rule) counts nothing");
	/* Found by fuzzing (tests/fuzz/corpus/io_stat/crash-leak-all-zero-device):
	 * devices without I/O were dropped but their array kept, and nobody
	 * frees after a false. */
	ok(!io_stat_parse("8:0 rbytes=0 wbytes=0 rios=0 wios=0 dbytes=0 dios=0\n", &io) && !io.dev && !io.n,
	   "io.stat with only idle devices: false, nothing left allocated");
	ok(!blkio_parse("8:0 Read 0\n8:0 Write 0\n", "8:0 Read 0\n", &io) && !io.dev && !io.n,
	   "blkio with only idle devices: false, nothing left allocated");

	io_stat_parse("254:0 rbytes=1048576 wbytes=2097152 rios=10 wios=20 dbytes=4096 dios=1\n"
		      "8:16 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n", &io);
	struct strbuf out = STRBUF_INIT;
	render_diskstats(&out, host_diskstats, &io);
	is_str(sb_str(&out),
	       " 254       0 vda 10 0 2048 0 20 0 4096 0 0 0 0 1 0 8 0 0 0\n"
	       "   8      16 sdb 1 0 1 0 0 0 0 0 0 0 0\n",
	       "diskstats: only the container's devices, its ops and sectors, the host's field count");
	sb_reset(&out);
	render_partitions(&out, "major minor  #blocks  name\n\n 254        0  268435456 vda\n 254        1  1000 vda1\n   8       16  500 sdb\n", &io);
	is_str(sb_str(&out), "major minor  #blocks  name\n\n 254        0  268435456 vda\n   8       16  500 sdb\n",
	       "partitions: the header, then the container's devices");
	sb_free(&out);
	cg_io_free(&io);
	return tap_done();
}
