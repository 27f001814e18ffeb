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

/* A costly section (a render whose last one took milliseconds of CPU)
 * runs at the lowest priority among the daemon's threads, so that the
 * threads answering other containers get the CPUs first. Only where the
 * thread's priority can be given back after (CAP_SYS_NICE, or
 * RLIMIT_NICE), which is probed once. slow_lower_priority returns what
 * slow_restore_priority takes. */
int slow_lower_priority(void);
void slow_restore_priority(int saved);

/* Set once by the request loop. */
void slow_set_hooks(void (*begin)(void), void (*end)(void));

#endif
