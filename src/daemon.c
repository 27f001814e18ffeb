#include "daemon.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The filesystem type mounted exactly at `path` if it is a FUSE mount;
 * *ours tells whether it is a cviewfs. */
static char *fuse_mount_at(const char *path, bool *ours)
{
	struct strbuf mi = STRBUF_INIT;
	char *found = NULL;

	if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", false, &mi) < 0)
		return NULL;
	/* "36 35 98:0 /root /mnt opts - fstype source superopts" */
	for (char *line = mi.buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char mnt[PATH_MAX], fstype[256], source[256];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%255s %255s", fstype, source) != 2)
			continue;
		/* mountinfo escapes spaces as \040; the paths we compare with are
		 * canonical, so an escaped one simply does not match. */
		if (!strcmp(mnt, path) && !strncmp(fstype, "fuse", 4)) {
			free(found);
			found = xstrdup(fstype);
			*ours = !strcmp(source, "cviewfs");
		}
	}
	sb_free(&mi);
	return found;
}

/* A cviewfs whose daemon was killed leaves a mount that only fails: it is
 * detached so a new daemon can take the place (a dead mount of another
 * filesystem is left to its owner). */
static int clear_dead_mount(const char *mountpoint)
{
	char *dir = xstrdup(mountpoint), *slash = strrchr(dir, '/');
	char real[PATH_MAX];
	const char *base = slash ? slash + 1 : mountpoint;
	bool ours = false;

	if (slash)
		*slash = '\0';
	int r = -1;
	if (realpath(slash ? (*dir ? dir : "/") : ".", real) && *base) {
		char *path = xasprintf("%s/%s", strcmp(real, "/") ? real : "", base);
		char *fstype = fuse_mount_at(path, &ours);
		if (fstype && ours)
			r = umount2(path, MNT_DETACH);
		free(fstype);
		free(path);
	}
	free(dir);
	return r;
}

int check_can_mount(const char *mountpoint, struct strbuf *err)
{
	struct stat st;

	if (geteuid() != 0) {
		sb_puts(err, "must run as root (it reads every process's cgroup and mounts with allow_other)");
		return -1;
	}
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		sb_printf(err, "cannot open /dev/fuse: %s (load the fuse module, or give the container the device)",
			  strerror(errno));
		return -1;
	}
	close(fd);

	if (stat(mountpoint, &st) < 0 && errno == ENOTCONN && clear_dead_mount(mountpoint) == 0)
		log_warn("%s: removed the dead cviewfs mount left by a killed daemon; containers that "
			 "bound its files need 'cviewfs-toolkit remount --all'", mountpoint);
	if (stat(mountpoint, &st) < 0) {
		if (errno == ENOTCONN)
			sb_printf(err, "%s: a dead FUSE mount is still there (Transport endpoint is not connected); "
				  "remove it with 'umount -l %s' first", mountpoint, mountpoint);
		else if (errno == ENOENT)
			sb_printf(err, "mountpoint %s does not exist (create it with mkdir -p)", mountpoint);
		else
			sb_printf(err, "mountpoint %s: %s", mountpoint, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		sb_printf(err, "mountpoint %s is not a directory", mountpoint);
		return -1;
	}
	char real[PATH_MAX];
	if (!realpath(mountpoint, real)) {
		sb_printf(err, "mountpoint %s: %s", mountpoint, strerror(errno));
		return -1;
	}
	bool ours;
	char *fstype = fuse_mount_at(real, &ours);
	if (fstype) {
		sb_printf(err, "%s is already mounted (%s); unmount it first", mountpoint, fstype);
		free(fstype);
		return -1;
	}
	return 0;
}

int pidfile_lock(const char *path, struct strbuf *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		sb_printf(err, "cannot open pid file %s: %s", path, strerror(errno));
		return -1;
	}
	/* flock, not fcntl: the lock belongs to the open file and so survives
	 * the fork that daemonizes. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		struct strbuf owner = STRBUF_INIT;
		read_fd_all(fd, &owner);
		long pid = strtol(sb_str(&owner), NULL, 10);
		if (e == EWOULDBLOCK && pid > 0)
			sb_printf(err, "another instance (pid %ld) holds %s; is it already running?", pid, path);
		else if (e == EWOULDBLOCK)
			sb_printf(err, "another instance holds %s; is it already running?", path);
		else
			sb_printf(err, "cannot lock pid file %s: %s", path, strerror(e));
		sb_free(&owner);
		close(fd);
		return -1;
	}
	return fd;
}

int pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

void pidfile_remove(const char *path, int fd)
{
	/* Removed while still locked, so no newcomer locks a file we delete. */
	unlink(path);
	close(fd);
}
