/* What the seccomp agent (agent/agent.h) asks of the files: sysinfo(2)'s
 * values for a reader's container, from its own files rendered exactly as
 * a read of them would be, so that the system call agrees with what the
 * caller reads. Kept per container for the render window like any file
 * (an internal one: not in the tree), so a program calling sysinfo in a
 * loop costs a cache hit per call. */
#include "fs/files.h"
#include "fs/show.h"
#include "agent/sysinfo.h"
#include "cgroup/cgroup.h"
#include "reader/reader.h"
#include "util/strbuf.h"

#include <errno.h>
#include <string.h>

/* A container's thread count past this is not counted (procs is capped at
 * 65535 anyway). */
#define THREADS_LIMIT (1u << 20)

static int show_proc_file(const char *name, pid_t reader, struct strbuf *out)
{
	for (size_t i = 0; i < nr_vfiles; i++)
		if (!strcmp(vfiles[i].dir, "proc") && !strcmp(vfiles[i].name, name))
			return vfiles[i].show(&vfiles[i], reader, out);
	return -ENOENT;
}

/* The values, as the bytes of a struct sysinfo_values. */
static int fill_sysinfo(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			struct strbuf *out, uint64_t *order)
{
	(void)vf, (void)order;
	struct strbuf mem = STRBUF_INIT, up = STRBUF_INIT, load = STRBUF_INIT;
	struct cg_task_counts counts;
	struct sysinfo_values v;
	int r = show_proc_file("meminfo", reader, &mem);
	if (r == 0)
		r = show_proc_file("uptime", reader, &up);
	if (r == 0)
		r = show_proc_file("loadavg", reader, &load);
	if (r == 0 && !cg_count_tasks(fs_config.cg, &view->cg, 0, THREADS_LIMIT, &counts))
		r = -EIO;
	if (r == 0)
		r = sysinfo_values_parse(sb_str(&mem), sb_str(&up), sb_str(&load), counts.total, &v);
	if (r == 0) {
		sb_reset(out);
		sb_append(out, (const char *)&v, sizeof(v));
	}
	sb_free(&mem);
	sb_free(&up);
	sb_free(&load);
	return r;
}

static int no_view(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	(void)vf, (void)reader, (void)out;
	return -ESRCH;
}

static const struct vfile sysinfo_vfile = { .dir = "agent", .name = "sysinfo" };

int files_sysinfo(pid_t reader, struct sysinfo_values *out)
{
	/* Host values are the real call's. */
	if (!files_virtualizing())
		return -EAGAIN;
	struct strbuf buf = STRBUF_INIT;
	int r = show_view(&sysinfo_vfile, reader, &buf, fill_sysinfo, no_view);
	if (r == 0 && buf.len != sizeof(*out))
		r = -EIO;
	if (r == 0)
		memcpy(out, buf.buf, sizeof(*out));
	sb_free(&buf);
	return r;
}
