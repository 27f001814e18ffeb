/* Path confinement for the legacy cgroupfs view: the whole security rule
 * of MOUNTPOINT/cgroup in two pure functions.
 *
 * A reader whose cgroup in a hierarchy is `own` sees:
 *   - the ancestors of own as directories holding only the next step
 *     towards own (CGFS_ABOVE),
 *   - own and everything below it as the real tree (CGFS_INSIDE),
 *   - nothing else: every other path is as if it did not exist
 *     (CGFS_OUTSIDE, answered ENOENT whatever the operation).
 *
 * Only the place of a path is decided here, on strings. The object an
 * INSIDE path names is then opened beneath a descriptor of own's directory
 * with symlinks refused (cgfs.c), so what a path resolves to at the moment
 * of use can never lie outside own, whatever is renamed or recreated in
 * between. */
#ifndef CVIEWFS_CGFS_CONFINE_H
#define CVIEWFS_CGFS_CONFINE_H

#include <stdbool.h>

enum cgfs_place { CGFS_OUTSIDE, CGFS_ABOVE, CGFS_INSIDE };

/* True for an absolute cgroup path as /proc/PID/cgroup gives it ("/" or
 * "/a/b") with no empty, "." or ".." component and no newline. Anything
 * else is not trusted as anybody's cgroup. */
bool cgfs_own_ok(const char *own);

/* True for a name a directory entry may have: not empty, ".", "..", and
 * without '/' or a newline (a newline in a cgroup's name would forge lines
 * of /proc/PID/cgroup for every process moved into it). */
bool cgfs_name_ok(const char *name);

/* Where `path` (below the hierarchy root: "" for the root, else "a/b/c",
 * made of names cgfs_name_ok accepts) lies for a reader whose cgroup is
 * `own` (cgfs_own_ok). For CGFS_INSIDE, *rel points into path at the part
 * below own ("" for own itself); for CGFS_ABOVE, *next is the name of the
 * next step towards own (malloc'd). An own that fails cgfs_own_ok gives
 * CGFS_OUTSIDE for every path. */
enum cgfs_place cgfs_place(const char *own, const char *path, const char **rel, char **next);

#endif
