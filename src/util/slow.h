/* A request thread's long section: a render, or a wait for one. The
 * request loop (serve/loop.c) lets another thread take requests while it
 * lasts, so that one container's costly file does not hold up every other
 * container's reads, without keeping more threads waiting on the FUSE
 * connection than the CPUs can run. No-op outside a request thread and
 * before the loop set its hooks. */
#ifndef CVIEWFS_SLOW_H
#define CVIEWFS_SLOW_H

void slow_begin(void);
void slow_end(void);

/* Set once by the request loop. */
void slow_set_hooks(void (*begin)(void), void (*end)(void));

#endif
