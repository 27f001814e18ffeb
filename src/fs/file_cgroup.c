/* Files a container's cgroup has itself: proc/pressure/{cpu,io,memory}
 * and /proc/slabinfo, else the host's. */
#include "fs/show.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/strbuf.h"

#include <stdio.h>

/* A container file served as it is when the container has one (pressure,
 * slabinfo), else the host's. */
static int fill_cgroup_or_host(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			       struct strbuf *out,
			       int (*read)(const struct vfile *vf, const struct cg_paths *p,
					   struct strbuf *out))
{
	int ret = read(vf, &view->cg, out);
	return ret == 0 ? 0 : show_host(vf, reader, out);
}

static int read_pressure(const struct vfile *vf, const struct cg_paths *p, struct strbuf *out)
{
	char file[32];
	snprintf(file, sizeof(file), "%s.pressure", vf->name); /* cpu, io, memory */
	return cg_read_unified(fs_config.cg, p, file, out);
}

static int fill_pressure(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			 struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_cgroup_or_host(vf, reader, view, out, read_pressure);
}

int show_pressure(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_pressure, NULL);
}

static int read_slabinfo(const struct vfile *vf, const struct cg_paths *p, struct strbuf *out)
{
	(void)vf;
	return cg_read_slabinfo(fs_config.cg, p, out);
}

static int fill_slabinfo(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			 struct strbuf *out, uint64_t *order)
{
	(void)order;
	return fill_cgroup_or_host(vf, reader, view, out, read_slabinfo);
}

int show_slabinfo(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	return show_view(vf, reader, out, fill_slabinfo, NULL);
}
