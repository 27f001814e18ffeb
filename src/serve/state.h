/* Counters readers have seen, carried over to the next serving process so
 * that an upgrade or a crash never makes them go backwards: the /proc/stat
 * accumulators (view/cpustat.h) and the load averages (view/loadavg.h).
 *
 * They live in a memfd the supervisor keeps. A serving process saves them
 * every second while they change, at once when a container's stat is first
 * shown, and once more when it stops; its successor loads them before
 * answering anything. After a crash the successor starts from the last
 * save, at most a second old, and folds in the kernel's counters' growth
 * since in one step whose idle is the most the dead process can have shown
 * (view/cpustat.c): nothing goes back. */
#ifndef CVIEWFS_STATE_H
#define CVIEWFS_STATE_H

void state_load(int fd);
void state_save(int fd);
/* Also runs tidy (if not NULL) every TIDY_EVERY_S on the same thread. */
void state_autosave_start(int fd, void (*tidy)(void));
void state_autosave_stop(void);

#endif
