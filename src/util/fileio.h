/* Whole-file reads into a strbuf, relative to a directory fd. */
#ifndef CVIEWFS_FILEIO_H
#define CVIEWFS_FILEIO_H

#include <stdbool.h>
#include <sys/types.h>

struct strbuf;

/* Reads dirfd/path (path relative; AT_FDCWD for absolute) into out, replacing
 * its content. Refuses to follow a symlink in the last component when
 * nofollow is set. Returns 0 or a negative errno; out is empty on error. */
int read_file_at(int dirfd, const char *path, bool nofollow, struct strbuf *out);
/* read_file_at for files produced in one piece: regular files, procfs
 * single_open files (meminfo, stat, uptime, loadavg, <pid>/{stat,status,
 * cgroup,io}) and cgroup control files other than task lists and
 * memory.kmem.slabinfo. A seq_file with one record hands all of it to a
 * large enough read, so a read that leaves room in the buffer is the end of
 * the file and the extra read() that would return 0 is skipped. Multi-record
 * seq_files (cpuinfo, diskstats, tasks) may stop short of the buffer before
 * EOF: use read_file_at for them. */
int read_small_file_at(int dirfd, const char *path, bool nofollow, struct strbuf *out);
/* The same for a file kept open: its whole content from offset 0 (a
 * seq_file regenerates it at every read at offset 0), replacing out. */
int pread_small(int fd, struct strbuf *out);
/* Reads an already open fd to EOF, appending to out. */
int read_fd_all(int fd, struct strbuf *out);
/* Appends everything from offset `off` on, leaving the fd's offset alone
 * (for files several processes share). 0 or -errno. */
int pread_all(int fd, off_t off, struct strbuf *out);

/* The highest process id listed by the procfs root directory open at
 * procfd (its pid namespace's newest live process), or -1 if it lists none.
 * Found by seeking, in a few short getdents calls, instead of listing every
 * process: procfs lists pids in ascending order, and its directory offset
 * is a pid cursor (offset PROCFS_TGID_OFFSET + n lists pids >= n). Moves the
 * fd's offset. */
long procfs_last_pid(int procfd);

/* path made absolute against the current directory (no symlinks resolved,
 * so it works on a dead mount too); NULL if the directory is unknown.
 * Free it. */
char *absolute_path(const char *path);
#define PROCFS_TGID_OFFSET 258 /* FIRST_PROCESS_ENTRY + "self" + "thread-self" */

#endif
