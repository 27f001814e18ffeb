/* Counters readers have seen, carried over to the next serving process so
 * that an upgrade or a crash never makes them go backwards: the /proc/stat
 * accumulators (view/cpustat.h) and the load averages (view/loadavg.h).
 *
 * They live in a memfd the supervisor keeps. A serving process saves them
 * every second while they change, at once when a container's values move
 * in a way a successor could not recompute (its first values, a change of
 * its shown CPUs: view/cpustat.h), and once more when it stops; its
 * successor loads them before answering anything. After a crash the
 * successor starts from the last save, at most a second old: user and
 * system time are functions of the container's counters, the same
 * however the time was split into reads, and idle's first step after the
 * restore is the most the dead process can have shown (view/cpustat.c):
 * nothing goes back. */
#ifndef CVIEWFS_STATE_H
#define CVIEWFS_STATE_H

void state_load(int fd);
void state_save(int fd);
/* Also runs tidy (if not NULL) every TIDY_EVERY_S on the same thread. */
void state_autosave_start(int fd, void (*tidy)(void));
void state_autosave_stop(void);

#endif
