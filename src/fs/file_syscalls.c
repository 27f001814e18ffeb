/* What the seccomp agent (agent/agent.h) asks of the files: the container's
 * own files, rendered exactly as a read of them would be, so a system call
 * answered from them agrees with what the caller reads. */
#include "fs/files.h"
#include "fs/show.h"
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

int files_sysinfo_inputs(pid_t reader, struct strbuf *meminfo, struct strbuf *uptime,
			 struct strbuf *loadavg, uint64_t *threads)
{
	int r = show_proc_file("meminfo", reader, meminfo);
	if (r == 0)
		r = show_proc_file("uptime", reader, uptime);
	if (r == 0)
		r = show_proc_file("loadavg", reader, loadavg);
	if (r < 0)
		return r;
	struct reader_view view;
	if (reader_resolve(reader, &view) != 0)
		return -ESRCH;
	struct cg_task_counts counts;
	bool counted = cg_count_tasks(fs_config.cg, &view.cg, 0, THREADS_LIMIT, &counts);
	reader_view_free(&view);
	if (!counted)
		return -EIO;
	*threads = counts.total;
	return 0;
}
