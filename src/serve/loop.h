/* The request loop of a serving process: threads that take requests from
 * the FUSE connection and answer them, in place of libfuse's
 * fuse_session_loop_mt (same thread policy: one more whenever the last
 * idle one takes a request, up to a maximum), except that
 * at most two threads per CPU (LOOP_MAX_LANES at most) wait on the
 * connection or answer requests at a time: more made every request wake
 * another sleeping thread, and runnable threads crowded the readers out
 * (16 readers on 2 CPUs: p99 1.7 ms with 16 threads, 1.0 ms with 4, the
 * floor's 0.9 ms). The others are for long sections (util/slow.h): a
 * thread rendering a costly file gives its lane to another. A thread that
 * waits 10 s for a lane ends: threads made for a burst do not stay. With `raw`,
 * OPEN, READ and RELEASE are answered straight from the request by
 * ops_answer_raw; every other request goes through libfuse. */
#ifndef CVIEWFS_LOOP_H
#define CVIEWFS_LOOP_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>

struct inflight;

#define LOOP_MAX_LANES 16

/* The size of a buffer that holds any request (libfuse's). */
size_t loop_request_size(void);

/* Answers the requests a predecessor left in `journal` (those it took and
 * did not answer, and perhaps a few it did); returns how many. */
unsigned loop_answer_journal(struct fuse_session *se, bool raw, struct inflight *journal);

/* Lays `journal` out for its threads (dropping what is in it), then serves
 * until loop_stop or the end of the connection (0), or a receive error
 * (its -errno). Every request taken is answered: threads waiting for one
 * are woken without taking it. Each thread reads its requests into its
 * own slot of `journal` (serve/inflight.h). */
int loop_serve(struct fuse_session *se, unsigned max_threads, bool raw, struct inflight *journal);

/* Async-signal-safe: ends loop_serve (at once if it has not started). */
void loop_stop(void);

#endif
