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
/* Reads an already open fd to EOF, appending to out. */
int read_fd_all(int fd, struct strbuf *out);
/* Appends everything from offset `off` on, leaving the fd's offset alone
 * (for files several processes share). 0 or -errno. */
int pread_all(int fd, off_t off, struct strbuf *out);

#endif
