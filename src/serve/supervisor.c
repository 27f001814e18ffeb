#include "serve/supervisor.h"
#include "agent/keeper.h"
#include "cgroup/cgroup.h"
#include "config.h"
#include "daemon.h"
#include "host/host.h"
#include "metrics/metrics.h"
#include "options.h"
#include "serve/fdstore.h"
#include "serve/handoff.h"
#include "serve/loop.h"
#include "serve/worker.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a new serving process may take to get ready, and an old one to
 * finish its requests, before it is given up on / killed. */
#define READY_TIMEOUT_MS 30000
#define DRAIN_TIMEOUT_MS 5000
/* CRASH_BURST deaths within a second: a process that dies as soon as it
 * starts. Pause a second between restarts then, instead of spinning. */
#define CRASH_BURST 5

struct supervisor {
	char **argv;
	char *exe;               /* the binary to run: where we were started from */
	struct fuse_session *se; /* holds the mount; never runs a loop */
	int fuse_fd, init_fd, journal_fd, state_fd, sig_fd;
	int inflight_fd;         /* requests being answered: outlives every serving process */
	int metrics_fd;          /* the metrics' counters (metrics/metrics.h) */
	const char *metrics_path; /* the file they are written to; NULL: none */
	double metrics_due;      /* ms: the next write */
	pid_t worker;            /* 0 while none */
	int worker_status_fd;    /* read end of its status pipe (serve/handoff.h) */
	uint32_t generation;
	bool virtualize;
	double deaths[CRASH_BURST]; /* ms, the latest last */
	unsigned ndeaths;
	int exit_status;         /* when serving ended by itself */
	bool mount_gone;         /* ended from outside: nothing left to unmount */
	bool adopted;            /* the connection was taken over, not mounted here */
	int pidfile_fd;
	const char *mountpoint;
};

static double now_ms(void)
{
	return (double)monotonic_ns() / 1e6;
}

/* The path this binary was started from: an upgrade replaces the file
 * there, and the next serving process runs the new one. */
static char *self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static int memfd(const char *name, bool append)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd >= 0 && append)
		fcntl(fd, F_SETFL, O_APPEND);
	return fd;
}

/* Reads the kernel's FUSE_INIT, sent when the filesystem is mounted, and
 * keeps it for every serving process (serve/handoff.h). */
static int save_init(struct supervisor *s, struct strbuf *err)
{
	size_t size = loop_request_size();
	char *buf = xmalloc(size);
	ssize_t n;

	do
		n = read(s->fuse_fd, buf, size);
	while (n < 0 && errno == EINTR);
	s->init_fd = memfd("cviewfs-init", false);
	if (n <= 0 || s->init_fd < 0 || write(s->init_fd, buf, (size_t)n) != n) {
		sb_printf(err, "cannot read the FUSE INIT request: %s", n == 0 ? "end of file" : strerror(errno));
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

static void describe_status(int status, struct strbuf *out)
{
	if (WIFEXITED(status)) {
		sb_printf(out, "exited with status %d", WEXITSTATUS(status));
		return;
	}
	int sig = WTERMSIG(status);
	sb_printf(out, "was killed by signal %d (%s)", sig, strsignal(sig));
	if (WCOREDUMP(status)) {
		struct strbuf pattern = STRBUF_INIT;
		read_file_at(AT_FDCWD, "/proc/sys/kernel/core_pattern", false, &pattern);
		while (pattern.len && pattern.buf[pattern.len - 1] == '\n')
			pattern.buf[--pattern.len] = '\0';
		sb_printf(out, ", core dumped (kernel.core_pattern: %s)", sb_str(&pattern));
		sb_free(&pattern);
	} else if (sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) {
		sb_puts(out, ", no core dump (core size limit 0?)");
	}
}

static void child_exec(struct supervisor *s, const struct handoff *h)
{
	int fds[] = { h->fuse_fd, h->init_fd, h->journal_fd, h->state_fd, h->ready_fd, h->go_fd,
		      h->inflight_fd, h->metrics_fd, h->agent_fd };
	sigset_t none;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char *spec = handoff_format(h), *more = handoff_format_more(h);
	setenv(HANDOFF_ENV, spec, 1);
	setenv(HANDOFF_MORE_ENV, more, 1);
	execv(s->exe, s->argv);
	fprintf(stderr, "cviewfs: cannot run %s: %s\n", s->exe, strerror(errno));
	_exit(127);
}

/* Waits for one byte on fd, into *c: 1 got it, 0 the writer went away
 * first (it exited), -1 timed out. */
static int wait_byte_into(int fd, char *c, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		return -1;
	return read(fd, c, 1) == 1 ? 1 : 0;
}

static int wait_byte(int fd, int timeout_ms)
{
	char c;
	return wait_byte_into(fd, &c, timeout_ms);
}

/* Waits up to timeout_ms for pid to exit; kills it after that. */
static int reap(pid_t pid, int timeout_ms)
{
	int status;
	double until = now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0)
			return 0;
		if (now_ms() > until) {
			log_warn("serving process %ld did not stop in %d ms: killing it", (long)pid, timeout_ms);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		usleep(1000);
	}
}

/* Starts a serving process and waits until it is ready. With go_fd, it
 * then waits for a byte there before serving. 0 and *pid, or -1. */
static int spawn(struct supervisor *s, int *go_fd, pid_t *pid, int *status_fd, struct strbuf *why)
{
	int ready[2], go[2] = { -1, -1 };

	if (pipe2(ready, O_CLOEXEC) < 0 || (go_fd && pipe2(go, O_CLOEXEC) < 0)) {
		sb_printf(why, "pipe: %s", strerror(errno));
		return -1;
	}
	struct handoff h = {
		.fuse_fd = s->fuse_fd, .init_fd = s->init_fd, .journal_fd = s->journal_fd,
		.state_fd = s->state_fd, .ready_fd = ready[1], .go_fd = go[0],
		.inflight_fd = s->inflight_fd, .metrics_fd = s->metrics_fd,
		.agent_fd = keeper_channel(),
		.generation = ++s->generation, .virtualize = s->virtualize,
	};
	pid_t child = fork();
	if (child == 0)
		child_exec(s, &h);
	close(ready[1]);
	if (h.agent_fd >= 0)
		close(h.agent_fd);
	if (go[0] >= 0)
		close(go[0]);
	if (child < 0) {
		sb_printf(why, "fork: %s", strerror(errno));
		close(ready[0]);
		if (go[1] >= 0)
			close(go[1]);
		return -1;
	}
	if (wait_byte(ready[0], READY_TIMEOUT_MS) != 1) {
		close(ready[0]);
		kill(child, SIGKILL);
		int status = reap(child, 0);
		sb_puts(why, "the new serving process ");
		describe_status(status, why);
		sb_puts(why, " before it was ready");
		if (go[1] >= 0)
			close(go[1]);
		return -1;
	}
	metrics_add(MI_STARTS, 1);
	*pid = child;
	*status_fd = ready[0];
	if (go_fd)
		*go_fd = go[1];
	return 0;
}

/* Too many deaths lately: pause, so a process that cannot start does not
 * spin a CPU. Readers wait in the kernel meanwhile. */
static void throttle_restarts(struct supervisor *s)
{
	double now = now_ms();
	if (s->ndeaths == CRASH_BURST && now - s->deaths[0] < 1000) {
		log_warn("serving processes keep dying: waiting a second before the next");
		sleep(1);
		now = now_ms();
	}
	if (s->ndeaths == CRASH_BURST)
		memmove(s->deaths, s->deaths + 1, (CRASH_BURST - 1) * sizeof(s->deaths[0]));
	else
		s->ndeaths++;
	s->deaths[s->ndeaths - 1] = now;
}

static void restart_worker(struct supervisor *s)
{
	struct strbuf why = STRBUF_INIT;
	for (;;) {
		throttle_restarts(s);
		sb_reset(&why);
		if (spawn(s, NULL, &s->worker, &s->worker_status_fd, &why) == 0)
			break;
		log_err("cannot restart the serving process: %s; retrying", sb_str(&why));
	}
	metrics_add(MI_RESTARTS, 1);
	log_info("serving process %ld took over (generation %u)", (long)s->worker, s->generation);
	sb_free(&why);
}

/* Reaps exited children; restarts the serving process if it was one.
 * False when serving cannot go on: the mount is gone, or a serving
 * process cannot start at all. */
static bool on_child_exit(struct supervisor *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != s->worker)
			continue;
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (code == WORKER_EXIT_GONE || code == WORKER_EXIT_FATAL) {
			log_err("serving process %ld %s; stopping", (long)pid,
				code == WORKER_EXIT_GONE ? "found the filesystem unmounted or its connection aborted"
							 : "cannot start");
			s->worker = 0;
			s->exit_status = code == WORKER_EXIT_GONE ? 0 : 1;
			s->mount_gone = code == WORKER_EXIT_GONE;
			return false;
		}
		struct strbuf what = STRBUF_INIT;
		describe_status(status, &what);
		log_err("serving process %ld %s; starting another", (long)pid, sb_str(&what));
		sb_free(&what);
		s->worker = 0;
		close(s->worker_status_fd);
		restart_worker(s);
	}
	return true;
}

/* SIGUSR1: the binary at our path (perhaps just upgraded) takes over. The
 * old process stops first (its last requests answered, its counters
 * saved); readers wait in the kernel for the few milliseconds between. */
static void upgrade_worker(struct supervisor *s)
{
	struct strbuf why = STRBUF_INIT;
	pid_t next, old = s->worker;
	int go, next_status;

	log_info("SIGUSR1: starting %s to take over", s->exe);
	if (spawn(s, &go, &next, &next_status, &why) < 0) {
		log_err("upgrade failed: %s; the running version keeps serving", sb_str(&why));
		metrics_add(MI_UPGRADE_FAILURES, 1);
		sb_free(&why);
		return;
	}
	if (old > 0) {
		/* Until the old process says it is done serving (or dies); its
		 * exit is reaped later, with the other SIGCHLDs. */
		kill(old, SIGTERM);
		if (wait_byte(s->worker_status_fd, DRAIN_TIMEOUT_MS) < 0) {
			log_warn("serving process %ld did not stop in %d ms: killing it", (long)old,
				 DRAIN_TIMEOUT_MS);
			kill(old, SIGKILL);
		}
		close(s->worker_status_fd);
	}
	s->worker = next;
	s->worker_status_fd = next_status;
	if (write(go, "g", 1) != 1)
		log_err("cannot start the new serving process: %s", strerror(errno));
	close(go);
	metrics_add(MI_UPGRADES, 1);
	log_info("upgrade done: process %ld serves (generation %u)", (long)next, s->generation);
	sb_free(&why);
}

/* Whether the binary at exe can take over a running supervisor: it says
 * so when asked through REEXEC_PROBE_ENV. */
static bool can_reexec(const char *exe)
{
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return false;
	pid_t child = fork();
	if (child == 0) {
		dup2(out[1], STDOUT_FILENO);
		setenv(REEXEC_PROBE_ENV, "1", 1);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl(exe, exe, "--version", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	char buf[256] = "";
	size_t len = 0;
	while (child > 0 && len < sizeof(buf) - 1 && wait_byte_into(out[0], buf + len, 5000) == 1)
		len++;
	close(out[0]);
	int status = child > 0 ? reap(child, 1000) : -1;
	return child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && strstr(buf, "reexec=1");
}

/* Replaces this process's image with the binary at its path, which adopts
 * the mount, the descriptors and the serving process (same pid, so systemd
 * and the pid file still name it) and then upgrades the serving process.
 * Returns only if that cannot be done. */
static void reexec(struct supervisor *s)
{
	struct reexec r = {
		.fds = { s->fuse_fd, s->init_fd, s->journal_fd, s->state_fd, s->inflight_fd, s->metrics_fd },
		.pidfile_fd = s->pidfile_fd, .worker = s->worker, .worker_status_fd = s->worker_status_fd,
		.generation = s->generation, .virtualize = s->virtualize,
	};
	int keep[] = { r.fds.fuse, r.fds.init, r.fds.nodes, r.fds.state, r.fds.inflight,
		       r.pidfile_fd, r.worker_status_fd, r.fds.metrics };
	size_t n = sizeof(keep) / sizeof(keep[0]);

	log_info("SIGUSR1: %s takes over as supervisor (process %ld)", s->exe, (long)getpid());
	for (size_t i = 0; i < n; i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
	char *spec = reexec_format(&r), *more = reexec_format_more(&r);
	keeper_prepare_exec();
	setenv(REEXEC_ENV, spec, 1);
	setenv(REEXEC_MORE_ENV, more, 1);
	free(spec);
	free(more);
	/* Signals stay blocked across execve and pending ones stay pending:
	 * the new image's signalfd gets them. */
	execv(s->exe, s->argv);
	log_err("upgrade of the supervisor failed: cannot run %s: %s; this one goes on", s->exe,
		strerror(errno));
	unsetenv(REEXEC_ENV);
	unsetenv(REEXEC_MORE_ENV);
	keeper_exec_failed();
	for (size_t i = 0; i < n; i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, FD_CLOEXEC);
}

static void upgrade(struct supervisor *s)
{
	if (can_reexec(s->exe))
		reexec(s);
	else
		log_info("SIGUSR1: %s cannot take over a running supervisor (an older release?): "
			 "only the serving process is replaced", s->exe);
	upgrade_worker(s);
}

static void toggle_virtualization(struct supervisor *s)
{
	s->virtualize = !s->virtualize;
	if (s->worker > 0)
		kill(s->worker, SIGUSR2);
	log_info(s->virtualize ? "SIGUSR2: virtualization on"
			       : "SIGUSR2: virtualization off: every file shows the host's values");
}

static int block_signals(struct supervisor *s)
{
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return s->sig_fd < 0 ? -1 : 0;
}

/* Writes the metrics file when it is due (every metrics_interval()). */
static void write_metrics(struct supervisor *s, bool now)
{
	if (!s->metrics_path || (!now && now_ms() < s->metrics_due))
		return;
	metrics_write_file(s->metrics_path);
	s->metrics_due = now_ms() + metrics_interval() * 1000;
}

/* Until a signal comes, writing the metrics file meanwhile when due. */
static void wait_signal(struct supervisor *s)
{
	struct pollfd p = { .fd = s->sig_fd, .events = POLLIN };
	for (;;) {
		write_metrics(s, false);
		double left = s->metrics_path ? s->metrics_due - now_ms() : -1;
		if (left > 1e9)
			left = 1e9;
		int r = poll(&p, 1, left < 0 ? -1 : (int)left + 1);
		if (r > 0 || (r < 0 && errno != EINTR))
			return;
	}
}

/* Until SIGTERM, SIGINT or SIGQUIT. */
static void supervise(struct supervisor *s)
{
	struct signalfd_siginfo si;

	for (;;) {
		wait_signal(s);
		ssize_t n = read(s->sig_fd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si)) {
			if (n < 0 && errno == EINTR)
				continue;
			log_err("signalfd: %s", strerror(errno));
			return;
		}
		switch (si.ssi_signo) {
		case SIGCHLD:
			if (!on_child_exit(s))
				return;
			break;
		case SIGUSR1: upgrade(s); break;
		case SIGUSR2: toggle_virtualization(s); break;
		case SIGHUP: log_info("SIGHUP ignored (SIGUSR1 upgrades, SIGTERM stops)"); break;
		default: return;
		}
	}
}

static void stop_worker(struct supervisor *s)
{
	if (s->worker > 0) {
		kill(s->worker, SIGTERM);
		reap(s->worker, DRAIN_TIMEOUT_MS);
		s->worker = 0;
	}
}

/* The same checks the serving process makes, before anything is mounted,
 * so a bad host fails with one line instead of a mount nobody serves. */
static int preflight(const struct options *o, struct strbuf *err)
{
	struct cgroups cg;

	if (check_can_mount(o->mountpoint, err) < 0 || host_init(err) < 0)
		return -1;
	int r = cgroups_open(&cg, host()->cgroup, err);
	if (r == 0)
		cgroups_close(&cg);
	host_fini();
	return r;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* libfuse's fuse_daemonize() changes to /, also in the foreground, so the
 * mountpoint and pid file must not depend on the starting directory:
 * unmounting at shutdown and removing the pid file would miss them. */
static int absolute_paths(struct options *o, char **mnt, char **pidfile, char **metrics,
			  struct strbuf *err)
{
	*mnt = absolute_path(o->mountpoint);
	*pidfile = absolute_path(o->pidfile);
	*metrics = o->metrics_file ? absolute_path(o->metrics_file) : NULL;
	if (!*mnt || !*pidfile || (o->metrics_file && !*metrics)) {
		sb_printf(err, "cannot find the current directory: %s", strerror(errno));
		return -1;
	}
	o->mountpoint = *mnt;
	o->pidfile = *pidfile;
	o->metrics_file = *metrics;
	return 0;
}

/* Mounts, daemonizes and makes the memfds every serving process shares. */
static int mount_fresh(struct supervisor *s, const struct options *o, char *prog, struct strbuf *err)
{
	if (preflight(o, err) < 0 || (s->pidfile_fd = pidfile_lock(o->pidfile, err)) < 0)
		return -1;
	s->se = cviewfs_session_new(prog, o);
	if (!s->se) {
		sb_puts(err, "cannot start the FUSE session (check the -o options)");
		return -1;
	}
	if (fuse_session_mount(s->se, o->mountpoint) != 0) {
		sb_printf(err, "cannot mount on %s (see the message above)", o->mountpoint);
		fuse_session_destroy(s->se);
		s->se = NULL;
		return -1;
	}
	if (fuse_daemonize(o->foreground) != 0) {
		sb_puts(err, "cannot daemonize");
		return -1;
	}
	if (!o->foreground)
		log_setup(true, o->debug);
	pidfile_write(s->pidfile_fd);
	s->fuse_fd = fuse_session_fd(s->se);
	s->journal_fd = memfd("cviewfs-nodes", true);
	s->state_fd = memfd("cviewfs-state", false);
	s->inflight_fd = memfd("cviewfs-inflight", false);
	s->metrics_fd = memfd("cviewfs-metrics", false);
	if (s->journal_fd < 0 || s->state_fd < 0 || s->inflight_fd < 0) {
		sb_printf(err, "memfd_create: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void take_fds(struct supervisor *s, const struct held_fds *h)
{
	s->fuse_fd = h->fuse;
	s->init_fd = h->init;
	s->journal_fd = h->nodes;
	s->state_fd = h->state;
	s->inflight_fd = h->inflight;
	s->metrics_fd = h->metrics;
	s->adopted = true;
}

/* Whether fd is a memfd made as `name` (memfd()): a number found in an
 * environment variable may be stale (CVIEWFS_SUPERVISOR_MORE inherited
 * through a release that ignored it). */
static bool is_memfd(int fd, const char *name)
{
	char link[64], target[128];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = fd >= 0 ? readlink(link, target, sizeof(target) - 1) : -1;
	if (n <= 0)
		return false;
	target[n] = '\0';
	size_t len = strlen(name);
	return !strncmp(target, "/memfd:", 7) && !strncmp(target + 7, name, len) &&
	       (target[7 + len] == '\0' || target[7 + len] == ' ');
}

/* Started by a supervisor that replaced itself (SIGUSR1): same pid, the
 * mount, descriptors and serving process are ours already. */
static bool adopt_reexec(struct supervisor *s)
{
	struct reexec r;
	const char *spec = getenv(REEXEC_ENV);
	if (!spec)
		return false;
	int ok = reexec_parse(spec, &r);
	reexec_parse_more(getenv(REEXEC_MORE_ENV), &r);
	if (!is_memfd(r.fds.metrics, "cviewfs-metrics"))
		r.fds.metrics = -1;
	unsetenv(REEXEC_ENV);
	unsetenv(REEXEC_MORE_ENV);
	if (ok < 0) {
		log_err("malformed %s: %s; starting afresh", REEXEC_ENV, spec);
		return false;
	}
	int fds[] = { r.fds.fuse, r.fds.init, r.fds.nodes, r.fds.state, r.fds.inflight, r.pidfile_fd,
		      r.worker_status_fd, r.fds.metrics };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	take_fds(s, &r.fds);
	s->pidfile_fd = r.pidfile_fd;
	s->worker = r.worker;
	s->worker_status_fd = r.worker_status_fd;
	s->generation = r.generation;
	s->virtualize = r.virtualize;
	return true;
}

/* Restarted by systemd after the supervisor died: its connection waited
 * in the descriptor store. */
static bool adopt_fdstore(struct supervisor *s, const struct options *o, struct strbuf *err)
{
	struct held_fds h;
	if (!fdstore_take(&h))
		return false;
	take_fds(s, &h);
	if ((s->pidfile_fd = pidfile_lock(o->pidfile, err)) < 0)
		return true;
	pidfile_write(s->pidfile_fd);
	return true;
}

static void unmount(struct supervisor *s)
{
	if (s->se) {
		fuse_session_unmount(s->se);
	} else if (s->adopted && !s->mount_gone && umount2(s->mountpoint, MNT_DETACH) < 0) {
		log_warn("cannot unmount %s: %s", s->mountpoint, strerror(errno));
	}
	/* The next start mounts afresh. */
	fdstore_drop();
}

/* The seccomp agent's listener: without it, containers simply get the
 * real system calls; it never stops the filesystem from serving. */
static void start_agent(const struct options *o)
{
	struct strbuf err = STRBUF_INIT;
	if (o->seccomp_socket && keeper_start(o->seccomp_socket, &err) < 0)
		log_warn("seccomp agent off: %s", sb_str(&err));
	sb_free(&err);
}

int supervisor_main(const struct options *given, char **argv)
{
	struct options opts = *given, *o = &opts;
	char *abs_mnt = NULL, *abs_pidfile = NULL, *abs_metrics = NULL;
	struct supervisor s = { .argv = argv, .fuse_fd = -1, .init_fd = -1, .journal_fd = -1,
				.inflight_fd = -1, .state_fd = -1, .sig_fd = -1, .worker_status_fd = -1,
				.metrics_fd = -1, .virtualize = true, .pidfile_fd = -1 };
	struct strbuf err = STRBUF_INIT;
	int status = 1;
	bool reexeced = false;

	log_setup(!o->foreground && getenv(REEXEC_ENV), o->debug);
	s.exe = self_path();
	if (!s.exe) {
		sb_printf(&err, "cannot find this program's path: %s", strerror(errno));
		goto out;
	}
	if (absolute_paths(o, &abs_mnt, &abs_pidfile, &abs_metrics, &err) < 0)
		goto out;
	s.mountpoint = o->mountpoint;
	s.metrics_path = o->metrics_file;
	reexeced = adopt_reexec(&s);
	if (reexeced)
		log_info("cviewfs %s supervises %s (process %ld, replaced in place)", CVIEWFS_VERSION,
			 o->mountpoint, (long)getpid());
	else if (adopt_fdstore(&s, o, &err))
		log_info("took the FUSE connection of %s back from systemd's descriptor store: "
			 "containers keep their files", o->mountpoint);
	else if (mount_fresh(&s, o, argv[0], &err) < 0)
		goto out_unmount;
	if (err.len)
		goto out_unmount;
	if (block_signals(&s) < 0) {
		sb_printf(&err, "signalfd: %s", strerror(errno));
		goto out_unmount;
	}
	if (!s.adopted && save_init(&s, &err) < 0)
		goto out_unmount;
	/* Adopted from a release without metrics (or memfd_create failed):
	 * the counters start here. */
	if (s.metrics_fd < 0 && (s.metrics_fd = memfd("cviewfs-metrics", false)) < 0)
		log_warn("metrics: memfd_create: %s; each serving process counts from zero and only "
			 "the supervisor's counts reach the metrics file", strerror(errno));
	metrics_attach(s.metrics_fd, metrics_register_files);
	fdstore_put(&(struct held_fds){ s.fuse_fd, s.init_fd, s.journal_fd, s.state_fd, s.inflight_fd,
					s.metrics_fd });
	start_agent(o);
	if (reexeced) {
		/* The serving process is the old binary's: replace it too. */
		upgrade_worker(&s);
	} else {
		if (spawn(&s, NULL, &s.worker, &s.worker_status_fd, &err) < 0)
			goto out_unmount;
		log_info("serving %s (cviewfs %s, supervisor %ld, serving process %ld)", o->mountpoint,
			 CVIEWFS_VERSION, (long)getpid(), (long)s.worker);
	}
	write_metrics(&s, true);
	supervise(&s);
	status = s.exit_status;
	stop_worker(&s);
	keeper_stop();
	/* The stopped process's last counts included. */
	write_metrics(&s, true);
	if (!s.mount_gone)
		log_info("unmounting %s", o->mountpoint);
out_unmount:
	if (s.se || s.adopted)
		unmount(&s);
out:
	if (s.se)
		fuse_session_destroy(s.se);
	else
		close_fd(&s.fuse_fd);
	if (s.pidfile_fd >= 0)
		pidfile_remove(o->pidfile, s.pidfile_fd);
	close_fd(&s.init_fd);
	close_fd(&s.journal_fd);
	close_fd(&s.state_fd);
	close_fd(&s.inflight_fd);
	metrics_detach();
	close_fd(&s.metrics_fd);
	close_fd(&s.sig_fd);
	close_fd(&s.worker_status_fd);
	free(s.exe);
	free(abs_mnt);
	free(abs_pidfile);
	free(abs_metrics);
	if (err.len) {
		log_err("%s", sb_str(&err));
		status = 1;
	}
	sb_free(&err);
	return status;
}
