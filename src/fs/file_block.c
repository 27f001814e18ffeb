/* /proc/diskstats and /proc/partitions: the container's I/O. */
#include "fs/show.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* The block device holding the container's root filesystem: where I/O
 * counted per process (not per device) is shown. For an overlay root, the
 * device of its upper directory. */
static bool root_device(const struct reader_view *view, unsigned *major, unsigned *minor)
{
	char rel[64];
	struct stat st;

	snprintf(rel, sizeof(rel), "%d/root/", (int)view->pid);
	if (fstatat(host()->proc_fd, rel, &st, 0) == 0 && major(st.st_dev) != 0) {
		*major = major(st.st_dev);
		*minor = minor(st.st_dev);
		return true;
	}
	struct strbuf mi = STRBUF_INIT;
	bool found = false;
	snprintf(rel, sizeof(rel), "%d/mountinfo", (int)view->pid);
	if (host_read_proc(rel, &mi) == 0) {
		for (const char *line = sb_str(&mi); *line && !found;) {
			const char *eol = strchrnul(line, '\n');
			char mnt[16], upper[4096];
			const char *up = strstr(line, "upperdir=");
			if (sscanf(line, "%*s %*s %*s %*s %15s", mnt) == 1 && !strcmp(mnt, "/") && up && up < eol &&
			    sscanf(up + 9, "%4095[^,\n ]", upper) == 1 && stat(upper, &st) == 0 &&
			    major(st.st_dev) != 0) {
				*major = major(st.st_dev);
				*minor = minor(st.st_dev);
				found = true;
			}
			line = *eol ? eol + 1 : eol;
		}
	}
	sb_free(&mi);
	return found;
}

/* The devices the container used and its counts on each: from its cgroup
 * where the kernel counts there, else (v1 without throttle rules or bfq)
 * its processes' bytes, shown on the device of its root filesystem. */
static bool container_io(const struct reader_view *view, struct cg_io *io)
{
	uint64_t r, w;
	unsigned major, minor;

	if (cg_read_io(fs_config.cg, &view->cg, io))
		return true;
	memset(io, 0, sizeof(*io));
	if (!cg_read_task_io(fs_config.cg, &view->cg, &r, &w))
		return false;
	if (r == 0 && w == 0)
		return true; /* no I/O yet: no device lines */
	if (!root_device(view, &major, &minor))
		return false;
	io->dev = xcalloc(1, sizeof(*io->dev));
	io->n = 1;
	*io->dev = (struct cg_io_dev){ .major = major, .minor = minor, .rbytes = r, .wbytes = w };
	return true;
}

static int fill_block(const struct vfile *vf, pid_t reader, const struct reader_view *view,
		      struct strbuf *out,
		      void (*render)(struct strbuf *, const char *, const struct cg_io *))
{
	struct cg_io io;

	bool known = !cg_is_root(fs_config.cg, &view->cg, CG_BLKIO) && container_io(view, &io);
	if (!known)
		return show_host(vf, reader, out);
	struct strbuf host_text = STRBUF_INIT;
	int ret = host_read_proc(vf->host_file, &host_text);
	if (ret == 0) {
		sb_reset(out);
		render(out, sb_str(&host_text), &io);
	}
	sb_free(&host_text);
	cg_io_free(&io);
	return ret;
}

static int fill_diskstats(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			  struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_block(vf, reader, view, out, render_diskstats);
}

int show_diskstats(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_diskstats, NULL);
}

static int fill_partitions(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			   struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_block(vf, reader, view, out, render_partitions);
}

int show_partitions(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_partitions, NULL);
}
