/* The supervisor: the process users start, signal and see in the pid file.
 * It mounts, keeps the FUSE connection open for the life of the mount, and
 * runs the serving code in a child process (serve/worker.h) that it
 * replaces when it dies (a crash) or when asked to (SIGUSR1: an upgrade to
 * the binary now installed). Readers never see the connection drop: while
 * no process serves, their requests wait in the kernel. See
 * docs/resilience.md for the design. */
#ifndef CVIEWFS_SUPERVISOR_H
#define CVIEWFS_SUPERVISOR_H

struct options;

int supervisor_main(const struct options *o, char **argv);

#endif
