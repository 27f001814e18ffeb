/* A container's block I/O rendered as /proc/diskstats and /proc/partitions
 * (fs/files.c fill_block). Shared by fuzz_io_stat and fuzz_blkio. */
#ifndef CVIEWFS_FUZZ_IO_H
#define CVIEWFS_FUZZ_IO_H

#include "fuzz.h"
#include "render/render.h"

static inline void io_render(const struct cg_io *io, const char *diskstats, const char *partitions)
{
	struct strbuf out = STRBUF_INIT;

	for (unsigned i = 0; i < io->n; i++) {
		const struct cg_io_dev *d = &io->dev[i];
		if (!(d->rbytes || d->wbytes || d->rios || d->wios || d->dbytes || d->dios))
			abort(); /* only devices with I/O are kept */
	}
	render_diskstats(&out, diskstats, io);
	sb_reset(&out);
	render_partitions(&out, partitions, io);
	sb_free(&out);
}

#endif
