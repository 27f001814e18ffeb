#include "host/host.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct host_roots roots = { .proc_fd = -1, .sys_cpu_fd = -1 };

/* Host files read by nearly every request, kept open (-1: not open). A
 * shared descriptor is safe: pread at offset 0 regenerates a seq_file under
 * the file's own lock. */
static struct {
	const char *name;
	int fd;
} kept[] = { { "meminfo", -1 }, { "stat", -1 }, { "uptime", -1 }, { "loadavg", -1 } };
#define NR_KEPT (sizeof(kept) / sizeof(kept[0]))

static const char *root_from_env(const char *var, const char *dflt)
{
#if CVIEWFS_TEST_ROOTS
	const char *v = getenv(var);
	if (v && *v) {
		roots.fixture = true;
		return v;
	}
#else
	(void)var;
#endif
	return dflt;
}

int host_init(struct strbuf *err)
{
	roots.proc = root_from_env("CVIEWFS_TEST_PROC_ROOT", "/proc");
	roots.sys = root_from_env("CVIEWFS_TEST_SYS_ROOT", "/sys");
	roots.cgroup = root_from_env("CVIEWFS_TEST_CGROUP_ROOT", "/sys/fs/cgroup");
	roots.clk_tck = sysconf(_SC_CLK_TCK);
	if (roots.clk_tck <= 0)
		roots.clk_tck = 100;

	roots.proc_fd = open(roots.proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (roots.proc_fd < 0) {
		int e = errno;
		sb_printf(err, "cannot open %s: %s", roots.proc, strerror(e));
		return -e;
	}
	char *cpu_dir = xasprintf("%s/devices/system/cpu", roots.sys);
	roots.sys_cpu_fd = open(cpu_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(cpu_dir);
	/* A missing sys tree only empties sys/devices/system/cpu; not fatal. */
	for (size_t i = 0; i < NR_KEPT; i++)
		kept[i].fd = openat(roots.proc_fd, kept[i].name, O_RDONLY | O_CLOEXEC);
	return 0;
}

void host_fini(void)
{
	if (roots.proc_fd >= 0)
		close(roots.proc_fd);
	if (roots.sys_cpu_fd >= 0)
		close(roots.sys_cpu_fd);
	roots.proc_fd = roots.sys_cpu_fd = -1;
	for (size_t i = 0; i < NR_KEPT; i++) {
		if (kept[i].fd >= 0)
			close(kept[i].fd);
		kept[i].fd = -1;
	}
}

const struct host_roots *host(void)
{
	return &roots;
}

static int kept_fd(const char *rel)
{
	for (size_t i = 0; i < NR_KEPT; i++)
		if (kept[i].fd >= 0 && !strcmp(rel, kept[i].name))
			return kept[i].fd;
	return -1;
}

int host_read_proc(const char *rel, struct strbuf *out)
{
	int fd = kept_fd(rel);
	return fd >= 0 ? pread_small(fd, out) : read_file_at(roots.proc_fd, rel, false, out);
}

int host_read_proc_small(const char *rel, struct strbuf *out)
{
	int fd = kept_fd(rel);
	if (fd >= 0)
		return pread_small(fd, out);
	return read_small_file_at(roots.proc_fd, rel, false, out);
}

double host_boottime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
