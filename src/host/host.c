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
	return 0;
}

void host_fini(void)
{
	if (roots.proc_fd >= 0)
		close(roots.proc_fd);
	if (roots.sys_cpu_fd >= 0)
		close(roots.sys_cpu_fd);
	roots.proc_fd = roots.sys_cpu_fd = -1;
}

const struct host_roots *host(void)
{
	return &roots;
}

int host_read_proc(const char *rel, struct strbuf *out)
{
	return read_file_at(roots.proc_fd, rel, false, out);
}

double host_boottime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
