/* Start-up checks and the pid file. Each check fails with one clear line. */
#ifndef CVIEWFS_DAEMON_H
#define CVIEWFS_DAEMON_H

struct strbuf;

/* Root, /dev/fuse usable, mountpoint an existing directory that no FUSE
 * filesystem is mounted on (a dead cviewfs mount is detached first, so a
 * restarted daemon takes its place). 0 or -1 with a message. */
int check_can_mount(const char *mountpoint, struct strbuf *err);

/* Opens and write-locks the pid file; a second instance finds it locked
 * and is refused. Returns the fd (kept open for the daemon's life) or -1. */
int pidfile_lock(const char *path, struct strbuf *err);
/* Writes the current pid (after daemonizing). */
int pidfile_write(int fd);
void pidfile_remove(const char *path, int fd);

#endif
