/* Counting a container's threads by state, for procs_running/procs_blocked
 * (and the load average). */
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Nesting deeper than this is not followed (systemd-in-container uses 3-4). */
#define MAX_DEPTH 16

char proc_stat_state(const char *stat_text)
{
	const char *p = strrchr(stat_text, ')');
	return p && p[1] == ' ' && p[2] ? p[2] : 0;
}

bool cg_list_each(const char *list, bool (*fn)(pid_t id, void *arg), void *arg)
{
	for (const char *line = list; *line;) {
		/* A digit first: strtol would skip white space, '\n' too, and
		 * take the next line's id for this one's. */
		if (isdigit((unsigned char)*line)) {
			errno = 0;
			long id = strtol(line, NULL, 10);
			/* Beyond INT_MAX a pid_t would wrap into another id. */
			if (!errno && id > 0 && id <= INT_MAX && !fn((pid_t)id, arg))
				return false;
		}
		line = strchrnul(line, '\n');
		if (*line)
			line++;
	}
	return true;
}

/* Walks `list_file` of the cgroup at dirfd and of every cgroup below it,
 * calling fn for each listed id. */
struct walker {
	const char *list_file;
	bool (*fn)(pid_t id, void *arg);
	void *arg;
	struct strbuf buf;
};

static bool walk_dir(struct walker *w, int dirfd, unsigned depth)
{
	if (read_file_at(dirfd, w->list_file, true, &w->buf) < 0)
		return false;
	bool ok = cg_list_each(sb_str(&w->buf), w->fn, w->arg);
	struct stat st;
	/* A cgroup directory's link count is 2 plus its subdirectories. */
	if (!ok || depth >= MAX_DEPTH || fstat(dirfd, &st) < 0 || st.st_nlink <= 2)
		return ok;

	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return true;
	}
	for (struct dirent *de; ok && (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		ok = walk_dir(w, sub, depth + 1);
		close(sub);
	}
	closedir(d);
	return ok;
}

static bool walk_at(const struct cg_loc *loc, const char *list_file, bool (*fn)(pid_t, void *),
		    void *arg)
{
	char *rel = strcmp(loc->path, "/") ? xstrdup(loc->path + 1) : xstrdup(".");
	int dirfd = openat(loc->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(rel);
	if (dirfd < 0)
		return false;
	struct walker w = { list_file, fn, arg, STRBUF_INIT };
	bool ok = walk_dir(&w, dirfd, 0);
	close(dirfd);
	sb_free(&w.buf);
	return ok;
}

struct counter {
	pid_t self;
	unsigned limit;
	struct cg_task_counts *out;
	struct strbuf stat;
};

static bool count_one(pid_t tid, void *arg)
{
	struct counter *c = arg;
	char rel[48];

	c->out->total++;
	if (tid == c->self) {
		c->out->running++;
	} else {
		/* The thread's own stat, under its task directory: <tid>/stat
		 * is the whole thread group's (do_task_stat sums every
		 * thread's times), which made counting a process of N threads
		 * cost N^2 (20,000 threads: 80 s). */
		snprintf(rel, sizeof(rel), "%d/task/%d/stat", (int)tid, (int)tid);
		/* A thread that exited since the list was read counts as asleep. */
		char state = host_read_proc_small(rel, &c->stat) == 0 ? proc_stat_state(sb_str(&c->stat)) : 0;
		if (state == 'R')
			c->out->running++;
		else if (state == 'D')
			c->out->blocked++;
	}
	return c->out->total <= c->limit;
}

static bool count_at(const struct cg_loc *loc, pid_t self_tid, unsigned limit,
		     struct cg_task_counts *out)
{
	memset(out, 0, sizeof(*out));
	struct counter c = { self_tid, limit, out, STRBUF_INIT };
	bool ok = walk_at(loc, loc->version == 2 ? "cgroup.threads" : "tasks", count_one, &c);
	sb_free(&c.stat);
	return ok;
}

/* Any v1 hierarchy lists the same threads; prefer the ones runtimes always
 * configure. */
static bool locate_tasks(const struct cgroups *cg, const struct cg_paths *p, struct cg_loc *loc)
{
	return cg_locate(cg, p, CG_CPUACCT, loc) || cg_locate(cg, p, CG_PIDS, loc) ||
	       cg_locate(cg, p, CG_MEMORY, loc);
}

bool cg_for_each_listed(const struct cgroups *cg, const struct cg_paths *p, const char *v1_file,
			const char *v2_file, bool (*fn)(pid_t id, void *arg), void *arg)
{
	struct cg_loc loc;
	return locate_tasks(cg, p, &loc) && walk_at(&loc, loc.version == 2 ? v2_file : v1_file, fn, arg);
}

bool cg_count_tasks(const struct cgroups *cg, const struct cg_paths *p, pid_t self_tid,
		    unsigned limit, struct cg_task_counts *out)
{
	struct cg_loc loc;
	memset(out, 0, sizeof(*out));
	return locate_tasks(cg, p, &loc) && count_at(&loc, self_tid, limit, out);
}

char *cg_tasks_key(const struct cgroups *cg, const struct cg_paths *p)
{
	struct cg_loc loc;
	if (!locate_tasks(cg, p, &loc))
		return NULL;
	return xasprintf("%d:%d:%s", loc.version, (int)loc.ctrl, loc.path);
}

static bool loc_of_key(const struct cgroups *cg, const char *key, struct cg_loc *loc)
{
	int version, ctrl, used = 0;
	if (sscanf(key, "%d:%d:%n", &version, &ctrl, &used) != 2 || !used || ctrl < 0 ||
	    ctrl >= CG_NR_CONTROLLERS || (version != 1 && version != 2))
		return false;
	*loc = (struct cg_loc){
		.fd = version == 2 ? cg->v2_fd : cg->v1_fd[ctrl],
		.version = version,
		.path = key + used,
		.ctrl = (enum cg_controller)ctrl,
	};
	return loc->fd >= 0;
}

bool cg_count_tasks_key(const struct cgroups *cg, const char *key, pid_t self_tid, unsigned limit,
			struct cg_task_counts *out)
{
	struct cg_loc loc;
	memset(out, 0, sizeof(*out));
	return loc_of_key(cg, key, &loc) && count_at(&loc, self_tid, limit, out);
}

static int open_loc_dir(const struct cg_loc *loc)
{
	const char *rel = strcmp(loc->path, "/") ? loc->path + 1 : ".";
	return openat(loc->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int cg_open_key_dir(const struct cgroups *cg, const char *key)
{
	struct cg_loc loc;
	if (!loc_of_key(cg, key, &loc) || loc.version != 1)
		return -1;
	return open_loc_dir(&loc);
}

bool cg_count_active_key(const struct cgroups *cg, struct cgstats *cs, const char *key,
			 uint64_t *active)
{
	struct cg_loc loc;
	if (!loc_of_key(cg, key, &loc))
		return false;
	if (loc.version == 1 && cs && cs->sock >= 0) {
		int dirfd = open_loc_dir(&loc);
		if (dirfd < 0)
			return false;
		int r = cgstats_count_active(cs, dirfd, active);
		close(dirfd);
		if (r == 0)
			return true;
	}
	struct cg_task_counts c;
	if (!count_at(&loc, 0, 100000, &c))
		return false;
	*active = c.running + c.blocked;
	return true;
}
