/* Cgroup control files kept open between reads.
 *
 * A control file is a seq_file: a read at offset 0 makes the kernel produce
 * it afresh, so an open file can be read again with one pread instead of
 * openat + read + close. Once its cgroup is removed every read of it fails
 * (ENODEV), also after a cgroup of the same path is created again; the file
 * is then dropped and opened again by path, so a kept file never shows a
 * removed cgroup. At most a bounded number are kept (they hold kernel
 * memory: a file and its seq_file buffer), the least recently read go
 * first. Fixture trees (tests) are plain files and are always read by path. */
#ifndef CVIEWFS_KEPT_H
#define CVIEWFS_KEPT_H

#include <stdbool.h>

struct strbuf;

/* The whole content of dirfd/rel (a single-record control file) into out,
 * replacing it. 0 or -errno (out empty). */
int kept_read(int dirfd, const char *rel, struct strbuf *out);
/* Closes every kept file (at exit, and for tests). */
void kept_close_all(void);
/* For tests: files kept now, and whether keeping is on. */
unsigned kept_count(void);
void kept_enable(bool on, unsigned max_files);

#endif
