/* The request loop of a serving process: threads that take requests from
 * the FUSE connection and answer them, in place of libfuse's
 * fuse_session_loop_mt (same thread policy: one more whenever the last
 * idle one takes a request, up to a maximum, kept once made). With `raw`,
 * OPEN, READ and RELEASE are answered straight from the request by
 * ops_answer_raw; every other request goes through libfuse. */
#ifndef CVIEWFS_LOOP_H
#define CVIEWFS_LOOP_H

#include <fuse_lowlevel.h>
#include <stdbool.h>

/* Serves until loop_stop or the end of the connection (0), or a receive
 * error (its -errno). Every request taken is answered: threads waiting for
 * one are woken without taking it. */
int loop_serve(struct fuse_session *se, unsigned max_threads, bool raw);

/* Async-signal-safe: ends loop_serve (at once if it has not started). */
void loop_stop(void);

#endif
