/* Which cviewfs mounts are ours. Several cviewfs (or test) instances may
 * run on one host, and a dead daemon's mounts no longer say where they
 * came from: only their device number (MAJ:MIN, one per FUSE connection)
 * is left. So every toolkit run that sees the daemon serving records its
 * device in STATE_DIR/devices ("MAJ:MIN MOUNTPOINT" lines), and remount
 * and umount touch only binds of devices recorded for their mount point.
 * Device numbers are recycled: one that is now mounted at another mount
 * point in our namespace is not ours any more. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk.h"

#define KEEP_LINES 128 /* plenty: one line per daemon start */

static char *devices_path(const char *state_dir)
{
	return tk_strdup_printf("%s/devices", state_dir);
}

bool tk_devset_has(const tk_devset *s, unsigned int major, unsigned int minor)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->v[i].major == major && s->v[i].minor == minor)
			return true;
	return false;
}

int tk_devset_add(tk_devset *s, unsigned int major, unsigned int minor, tk_error **err)
{
	if (tk_devset_has(s, major, minor))
		return 0;
	void *nv = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!nv)
		return tk_fail(err, ENOMEM, "devices");
	s->v = nv;
	s->v[s->n].major = major;
	s->v[s->n].minor = minor;
	s->n++;
	return 0;
}

void tk_devset_free(tk_devset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Calls FN for every "MAJ:MIN MOUNTPOINT" line of the file (none if it
 * does not exist yet). */
static int each_line(const char *state_dir,
		     int (*fn)(unsigned int, unsigned int, const char *, void *, tk_error **),
		     void *arg, tk_error **err)
{
	char *path = devices_path(state_dir);
	char *text = NULL;
	if (!path)
		return tk_fail(err, ENOMEM, "devices");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;
	if (fd < 0 && errno != ENOENT)
		r = tk_fail(err, errno, "open %s", path);
	else if (fd >= 0 && (r = tk_read_fd(fd, &text, NULL)) < 0)
		r = tk_fail(err, -r, "read %s", path);
	if (fd >= 0)
		close(fd);
	free(path);
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && r == 0;
	     l = strtok_r(NULL, "\n", &save)) {
		unsigned int major, minor;
		int used = 0;
		if (sscanf(l, "%u:%u %n", &major, &minor, &used) == 2 && used)
			r = fn(major, minor, l + used, arg, err);
	}
	free(text);
	return r;
}

struct match {
	const char *mountpoint;
	tk_devset *set;
	size_t lines;
};

static int collect(unsigned int major, unsigned int minor, const char *mp, void *arg,
		   tk_error **err)
{
	struct match *m = arg;
	m->lines++;
	return strcmp(mp, m->mountpoint) == 0 ? tk_devset_add(m->set, major, minor, err) : 0;
}

/* Starts the file afresh with only the current device when it has grown
 * long; the rename keeps readers from seeing half a file. */
static int rewrite(const char *path, const char *line, tk_error **err)
{
	char *tmp = tk_strdup_printf("%s.tmp", path);
	FILE *f = tmp ? fopen(tmp, "we") : NULL;
	int r = 0;
	if (!f)
		r = tk_fail(err, tmp ? errno : ENOMEM, "write %s", path);
	else if (fputs(line, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0)
		r = tk_fail(err, errno, "write %s", path);
	free(tmp);
	return r;
}

int tk_devices_record(const char *state_dir, const char *mountpoint, unsigned int major,
		      unsigned int minor, tk_error **err)
{
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return tk_fail(err, errno, "create %s", state_dir);
	tk_devset known = {0};
	struct match m = {.mountpoint = mountpoint, .set = &known};
	if (each_line(state_dir, collect, &m, err) < 0) {
		tk_devset_free(&known);
		return -1;
	}
	bool have = tk_devset_has(&known, major, minor);
	tk_devset_free(&known);
	if (have)
		return 0;
	char *path = devices_path(state_dir);
	char *line = tk_strdup_printf("%u:%u %s\n", major, minor, mountpoint);
	int r = 0;
	if (!path || !line) {
		r = tk_fail(err, ENOMEM, "devices");
	} else if (m.lines >= KEEP_LINES) {
		r = rewrite(path, line, err);
	} else {
		/* O_APPEND: hooks of containers starting together do not lose
		 * each other's line. */
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			r = tk_fail(err, errno, "write %s", path);
		if (fd >= 0)
			close(fd);
	}
	free(path);
	free(line);
	return r;
}

/* Devices of cviewfs mounts at other mount points of our namespace. */
static int foreign(const char *mountpoint, tk_devset *out, tk_error **err)
{
	tk_mounts ms;
	if (tk_mounts_read_at(AT_FDCWD, "/proc/self/mountinfo", &ms, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < ms.n && r == 0; i++)
		if (tk_mount_is_cviewfs(&ms.v[i]) && strcmp(ms.v[i].mountpoint, mountpoint) != 0)
			r = tk_devset_add(out, ms.v[i].major, ms.v[i].minor, err);
	tk_mounts_free(&ms);
	return r;
}

int tk_devices_load(const char *state_dir, const char *mountpoint, tk_devset *out,
		    tk_error **err)
{
	out->v = NULL;
	out->n = 0;
	tk_devset all = {0}, other = {0};
	struct match m = {.mountpoint = mountpoint, .set = &all};
	int r = each_line(state_dir, collect, &m, err);
	if (r == 0)
		r = foreign(mountpoint, &other, err);
	for (size_t i = 0; r == 0 && i < all.n; i++)
		if (!tk_devset_has(&other, all.v[i].major, all.v[i].minor))
			r = tk_devset_add(out, all.v[i].major, all.v[i].minor, err);
	tk_devset_free(&all);
	tk_devset_free(&other);
	if (r < 0)
		tk_devset_free(out);
	return r;
}
