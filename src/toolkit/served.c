/* The daemon's side: is cviewfs mounted and serving at the mount point,
 * and which files does it serve. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk.h"

static int add_file(tk_served *s, const char *rel, bool is_dir, tk_error **err)
{
	char **nf = realloc(s->files, (s->n + 1) * sizeof(*nf));
	if (nf)
		s->files = nf;
	bool *nd = realloc(s->is_dir, (s->n + 1) * sizeof(*nd));
	if (nd)
		s->is_dir = nd;
	char *copy = strdup(rel);
	if (!nf || !nd || !copy) {
		free(copy);
		return tk_fail(err, ENOMEM, "list served files");
	}
	s->files[s->n] = copy;
	s->is_dir[s->n] = is_dir;
	s->n++;
	return 0;
}

/* Every regular file below MOUNTPOINT/REL (proc/meminfo, proc/pressure/cpu,
 * ...): what the daemon serves today, so new files need no toolkit change. */
static int list_files(tk_served *s, const char *rel, tk_error **err)
{
	char *path = tk_strdup_printf("%s/%s", s->mountpoint, rel);
	DIR *d = path ? opendir(path) : NULL;
	if (!d) {
		int e = path ? errno : ENOMEM;
		free(path);
		return tk_fail(err, e, "list %s", rel);
	}
	free(path);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = tk_strdup_printf("%s/%s", rel, de->d_name);
		if (!sub) {
			r = tk_fail(err, ENOMEM, "list %s", rel);
			break;
		}
		if (de->d_type == DT_DIR)
			r = list_files(s, sub, err);
		else if (de->d_type == DT_REG)
			r = add_file(s, sub, false, err);
		free(sub);
	}
	closedir(d);
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_cgroup(tk_served *s, const char *name, tk_error **err)
{
	char **nv = realloc(s->cgroups, (s->ncg + 1) * sizeof(*nv));
	if (nv)
		s->cgroups = nv;
	char *copy = strdup(name);
	if (!nv || !copy) {
		free(copy);
		return tk_fail(err, ENOMEM, "list cgroup");
	}
	s->cgroups[s->ncg++] = copy;
	return 0;
}

/* The directories in MOUNTPOINT/cgroup: the hierarchies of the legacy
 * cgroupfs view, there only when the daemon runs with --enable-cgroup. */
static int list_cgroups(tk_served *s, tk_error **err)
{
	char *path = tk_strdup_printf("%s/cgroup", s->mountpoint);
	DIR *d = path ? opendir(path) : NULL;
	int e = path ? errno : ENOMEM;
	free(path);
	if (!d)
		return e == ENOENT ? 0 : tk_fail(err, e, "list cgroup");
	int r = 0;
	struct dirent *de;
	struct stat st;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			r = add_cgroup(s, de->d_name, err);
	}
	closedir(d);
	if (r == 0 && s->ncg > 1)
		qsort(s->cgroups, s->ncg, sizeof(*s->cgroups), cmp_names);
	return r;
}

/* The topmost mount at MOUNTPOINT in our namespace, if it is cviewfs's. */
static int find_mount(const char *mountpoint, tk_mount *found, bool *is_cviewfs,
		      tk_error **err)
{
	tk_mounts ms;
	if (tk_mounts_read_at(AT_FDCWD, "/proc/self/mountinfo", &ms, err) < 0)
		return -1;
	const tk_mount *top = tk_mounts_top(&ms, mountpoint);
	*is_cviewfs = top && tk_mount_is_cviewfs(top);
	if (*is_cviewfs) {
		found->major = top->major;
		found->minor = top->minor;
	}
	tk_mounts_free(&ms);
	return 0;
}

int tk_cviewfs_mounted(const char *mountpoint, bool *mounted, tk_error **err)
{
	tk_mount m;
	return find_mount(mountpoint, &m, mounted, err);
}

/* A real read through the filesystem: a dead daemon answers ENOTCONN, a
 * wedged one would hang here, which is what a health check must notice. */
static int probe_read(const char *mountpoint, tk_error **err)
{
	char *path = tk_strdup_printf("%s/proc/meminfo", mountpoint);
	if (!path)
		return tk_fail(err, ENOMEM, "probe");
	char *text = NULL;
	int r = tk_read_file_at(AT_FDCWD, path, &text, NULL, err);
	free(path);
	if (r < 0)
		return -1;
	bool good = strncmp(text, "MemTotal:", 9) == 0;
	free(text);
	if (!good)
		return tk_fail(err, 0, "%s/proc/meminfo does not start with MemTotal:", mountpoint);
	return 0;
}

int tk_served_open(const char *mountpoint, tk_served *out, tk_error **err)
{
	memset(out, 0, sizeof(*out));
	if (tk_mountpoint_path(mountpoint, &out->mountpoint, err) < 0)
		return -1;
	tk_mount m;
	bool is_cviewfs;
	if (find_mount(out->mountpoint, &m, &is_cviewfs, err) < 0)
		goto fail;
	if (!is_cviewfs) {
		tk_fail(err, 0, "cviewfs is not mounted at %s", out->mountpoint);
		goto fail;
	}
	out->major = m.major;
	out->minor = m.minor;
	if (probe_read(out->mountpoint, err) < 0) {
		tk_wrap(err, "cviewfs at %s is not serving", out->mountpoint);
		goto fail;
	}
	if (list_files(out, "proc", err) < 0)
		goto fail;
	char *cpu = tk_strdup_printf("%s/sys/devices/system/cpu", out->mountpoint);
	struct stat st;
	bool have_cpu = cpu && stat(cpu, &st) == 0 && S_ISDIR(st.st_mode);
	free(cpu);
	if (have_cpu && add_file(out, "sys/devices/system/cpu", true, err) < 0)
		goto fail;
	if (list_cgroups(out, err) < 0)
		goto fail;
	return 0;
fail:
	tk_served_free(out);
	return -1;
}

void tk_served_free(tk_served *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i]);
	free(s->files);
	free(s->is_dir);
	for (size_t i = 0; i < s->ncg; i++)
		free(s->cgroups[i]);
	free(s->cgroups);
	free(s->mountpoint);
	memset(s, 0, sizeof(*s));
}
