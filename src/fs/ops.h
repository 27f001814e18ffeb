/* The FUSE front: low-level requests in, bytes out.
 *
 * Per open/read/close a reader costs OPEN, READ (rendered here), a READ that
 * returns end of file, and RELEASE: FLUSH is suppressed with FOPEN_NOFLUSH
 * and RELEASE does not block close(). Content is rendered at every read at
 * offset 0 into the open file's buffer, so a reader re-reading from 0 (top,
 * free -s) sees fresh numbers and one using small reads sees one snapshot. */
#ifndef CVIEWFS_OPS_H
#define CVIEWFS_OPS_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const struct fuse_lowlevel_ops cviewfs_ops;

/* Answers an OPEN, READ or RELEASE request read from the connection (buf, len
 * bytes) by writing its reply to fd, without libfuse. False for any other
 * request (or a malformed one): hand it to fuse_session_process_buf. */
bool ops_answer_raw(int fd, const void *buf, size_t len);

/* Tags the file handles this process gives out (see ops.c). */
void ops_set_generation(uint32_t generation);

#endif
