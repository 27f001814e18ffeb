/* /proc/loadavg: the container's load averages (-l), its task counts and
 * the newest pid in its namespace. */
#include "fs/show.h"
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "reader/reader.h"
#include "render/render.h"
#include "util/strbuf.h"
#include "fs/sampler.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "view/loadavg.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The newest pid of the container, as numbered there: the highest entry of
 * the container's own procfs, which lists its pid namespace's processes.
 * (The kernel prints the last pid allocated, which may have exited since;
 * its ns_last_pid answers for the reader's namespace, not the file's.) */
static long container_last_pid(const struct reader_view *view)
{
	char rel[64];

	if (view->host_pidns)
		return -1;
	snprintf(rel, sizeof(rel), "%d/root/proc", (int)view->pid);
	int fd = openat(host()->proc_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long last = procfs_last_pid(fd);
	close(fd);
	return last;
}

/* The host's "LAST" field, for readers whose namespace's counter cannot be read. */
static long host_last_pid(void)
{
	struct strbuf buf = STRBUF_INIT;
	long last = 0;
	if (host_read_proc_small("loadavg", &buf) == 0) {
		const char *p = strrchr(sb_str(&buf), ' ');
		last = p ? strtol(p + 1, NULL, 10) : 0;
	}
	sb_free(&buf);
	return last;
}

static int fill_loadavg(const struct vfile *vf, pid_t reader, const struct reader_view *view,
			struct strbuf *out, uint64_t *order)
{
	(void)order;
	char *key = cg_is_root(fs_config.cg, &view->cg, CG_CPUACCT) ? NULL : cg_tasks_key(fs_config.cg, &view->cg);
	struct cg_task_counts tasks;
	if (!key || !cg_count_tasks(fs_config.cg, &view->cg, reader, SAMPLER_MAX_TASKS, &tasks)) {
		free(key);
		return show_host(vf, reader, out);
	}
	unsigned long avenrun[3];
	/* A container that just started begins at 0, as a booting machine
	 * does; one that ran unseen for a while begins at its current count
	 * (without the reader, which the sampler never sees running). */
	double age = host_boottime_now() - (double)view->start_ticks / (double)host()->clk_tck;
	unsigned active = (tasks.running ? tasks.running - 1 : 0) + tasks.blocked;
	loadavg_read(key, monotonic_s(), age < LOADAVG_WARM_AGE ? 0 : active, avenrun);
	long last = container_last_pid(view);
	sb_reset(out);
	render_loadavg(out, avenrun, tasks.running, tasks.total, last >= 0 ? last : host_last_pid());
	free(key);
	return 0;
}

int show_loadavg(const struct vfile *vf, pid_t reader, struct strbuf *out)
{
	/* Without -l every container sees the host's file: one read serves
	 * all readers for a window, as a render does. */
	if (!fs_config.loadavg)
		return files_virtualizing() ? host_proc_shared(vf->host_file, 0, out) : show_host(vf, reader, out);
	return show_view(vf, reader, out, fill_loadavg, NULL);
}
