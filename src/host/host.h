/* Where the host's /proc, /sys and cgroup trees are. Normally the real ones;
 * test builds (-Dtest_roots=true) honour CVIEWFS_TEST_PROC_ROOT,
 * CVIEWFS_TEST_SYS_ROOT and CVIEWFS_TEST_CGROUP_ROOT so the daemon can be
 * pointed at fixture trees that simulate a cgroup v2 host. */
#ifndef CVIEWFS_HOST_H
#define CVIEWFS_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct strbuf;

struct host_roots {
	const char *proc;   /* "/proc" */
	const char *sys;    /* "/sys" */
	const char *cgroup; /* "/sys/fs/cgroup" */
	int proc_fd;        /* open O_PATH on proc */
	int sys_cpu_fd;     /* open on sys/devices/system/cpu, -1 if absent */
	bool fixture;       /* roots come from test variables */
	long clk_tck;       /* sysconf(_SC_CLK_TCK) */
};

/* Opens the roots; returns 0 or a negative errno with a message in err. */
int host_init(struct strbuf *err);
void host_fini(void);
const struct host_roots *host(void);

/* Reads <proc>/<rel> ("meminfo", "123/cgroup") into out. 0 or -errno. */
int host_read_proc(const char *rel, struct strbuf *out);
/* host_read_proc for files produced in one piece (see read_small_file_at):
 * "meminfo", "stat", "uptime", "loadavg", "<pid>/{stat,status,cgroup,io}".
 * meminfo, stat, uptime and loadavg are kept open and read at offset 0,
 * which makes procfs generate them afresh: never stale. */
int host_read_proc_small(const char *rel, struct strbuf *out);
/* Seconds since boot, CLOCK_BOOTTIME (counts suspend, like /proc/uptime). */
double host_boottime_now(void);

#endif
