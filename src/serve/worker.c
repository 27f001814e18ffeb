#include "serve/worker.h"
#include "agent/agent.h"
#include "cgfs/cgfs.h"
#include "cgroup/cgroup.h"
#include "cgroup/kept.h"
#include "config.h"
#include "fs/files.h"
#include "fs/ops.h"
#include "fs/sampler.h"
#include "fs/tree.h"
#include "host/host.h"
#include "metrics/metrics.h"
#include "options.h"
#include "reader/reader.h"
#include "serve/handoff.h"
#include "serve/inflight.h"
#include "serve/loop.h"
#include "serve/state.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "view/cpustat.h"
#include "view/loadavg.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Linux 6.9: the kernel queues again every request a dead process had
 * taken but not answered. Older headers lack the constant. */
#define NOTIFY_RESEND 7

static void say(const char *msg)
{
	/* Signal handlers may only write(2). */
	ssize_t r = write(STDERR_FILENO, msg, strlen(msg));
	(void)r;
}

/* Set when the supervisor (or anyone) asked this process to stop. */
static volatile sig_atomic_t stop_asked;

static void on_exit_signal(int sig)
{
	(void)sig;
	stop_asked = 1;
	loop_stop();
}

static void on_sigusr2(int sig)
{
	(void)sig;
	files_toggle_virtualization();
	say(files_virtualizing() ? "cviewfs: virtualization on\n"
				 : "cviewfs: virtualization off: serving host values\n");
}

static void install_signals(void)
{
	/* No SA_RESTART: the waits of the request loop must see the stop. */
	struct sigaction stop = { .sa_handler = on_exit_signal };
	sigemptyset(&stop.sa_mask);
	sigaction(SIGTERM, &stop, NULL);
	/* The supervisor decides when serving stops: a Ctrl-C reaching the
	 * whole foreground process group must not take this process first. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	struct sigaction toggle = { .sa_handler = on_sigusr2, .sa_flags = SA_RESTART };
	sigemptyset(&toggle.sa_mask);
	sigaction(SIGUSR2, &toggle, NULL);
}

#if CVIEWFS_TEST_ROOTS
/* Test builds: with CVIEWFS_TEST_STALL_ONCE=FILE, the first READ of an
 * "uptime" file (in any serving process of the mount) creates FILE and
 * never answers, so a test can kill the process holding a request and
 * watch its successor answer it. */
static struct fuse_lowlevel_ops stalling_ops;

static void stalling_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	const char *marker = getenv("CVIEWFS_TEST_STALL_ONCE");
	struct node *n = tree_get(ino);
	int fd = n && !strcmp(n->name, "uptime")
		 ? open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		close(fd);
		for (;;)
			pause();
	}
	cviewfs_ops.read(req, ino, size, off, fi);
}

static const struct fuse_lowlevel_ops *ops_for_session(void)
{
	if (!getenv("CVIEWFS_TEST_STALL_ONCE"))
		return &cviewfs_ops;
	stalling_ops = cviewfs_ops;
	stalling_ops.read = stalling_read;
	return &stalling_ops;
}
#else
static const struct fuse_lowlevel_ops *ops_for_session(void)
{
	return &cviewfs_ops;
}
#endif

struct fuse_session *cviewfs_session_new(const char *prog, const struct options *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct strbuf mopts = STRBUF_INIT;

	/* allow_other: containers run as other users. */
	/* ro: nothing here is writable, and the kernel then skips the atime
	 * invalidation that costs a GETATTR after every read. The cgroupfs
	 * view is written to; default_permissions: the kernel then checks
	 * modes and owners as cgroupfs itself would (cgfs checks again). */
	sb_puts(&mopts, o->enable_cgroup ? "rw,default_permissions" : "ro");
	sb_puts(&mopts, ",allow_other,fsname=cviewfs,subtype=cviewfs");
	if (o->fuse_opts.len)
		sb_printf(&mopts, ",%s", sb_str(&o->fuse_opts));
	fuse_opt_add_arg(&args, prog);
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, sb_str(&mopts));
	if (o->debug)
		fuse_opt_add_arg(&args, "-d");
	struct fuse_session *se = fuse_session_new(&args, ops_for_session(), sizeof(cviewfs_ops), NULL);
	fuse_opt_free_args(&args);
	sb_free(&mopts);
	return se;
}

/* Up to 32 request threads, kept once made: two per CPU with a lane
 * (serve/loop.h), the others for renders that take long. Letting idle ones
 * exit cost a third of the 64-reader throughput in thread churn. */
#define REQUEST_THREADS 32

/* Core dumps of a crash are what a bug report needs: allow them up to the
 * hard limit the service was given (root here may not raise it further). */
static void allow_core_dumps(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_CORE, &rl);
	}
	prctl(PR_SET_DUMPABLE, 1);
}

/* Feeds the mount's INIT request into this process's session: libfuse
 * accepts no other request before it, and learns the negotiated limits. */
static int replay_init(struct fuse_session *se, int init_fd)
{
	struct strbuf req = STRBUF_INIT;
	int r = pread_all(init_fd, 0, &req);
	if (r < 0 || req.len < sizeof(struct fuse_in_header)) {
		sb_free(&req);
		return -1;
	}
	struct fuse_buf buf = { .size = req.len, .mem = req.buf };
	fuse_session_process_buf(se, &buf);
	sb_free(&req);
	return 0;
}

/* Asks the kernel to queue again the requests a dead predecessor took:
 * those the in-flight journal lacks (a predecessor of an older release
 * kept none). Before Linux 6.9 the journal is all there is. */
static void resend_orphaned_requests(int fuse_fd)
{
	struct fuse_out_header h = { .len = sizeof(h), .error = NOTIFY_RESEND, .unique = 0 };
	if (write(fuse_fd, &h, sizeof(h)) != (ssize_t)sizeof(h))
		log_once("serve", "resend", "this kernel cannot resend requests (FUSE_NOTIFY_RESEND "
			 "needs Linux 6.9; %s): a dead serving process's requests are answered "
			 "from the in-flight journal only", strerror(errno));
}

/* OPEN, READ and RELEASE skip libfuse's request machinery, except where
 * libfuse must see every request: its debug trace (-d), and the test
 * build's stalling READ. */
static bool answer_raw(const struct options *o)
{
	bool raw = !o->debug;
#if CVIEWFS_TEST_ROOTS
	raw = raw && !getenv("CVIEWFS_TEST_STALL_ONCE");
#endif
	return raw;
}

/* The requests a dead predecessor had taken, before any new one: their
 * readers have waited longest, and before Linux 6.9 nothing else answers
 * them. Then the kernel is asked to queue again any this journal lacks. */
static void answer_orphans(struct fuse_session *se, const struct options *o,
			   struct inflight *journal, int fuse_fd)
{
	unsigned n = loop_answer_journal(se, answer_raw(o), journal);
	if (n)
		log_info("answered %u request%s a previous serving process had taken", n,
			 n == 1 ? "" : "s");
	resend_orphaned_requests(fuse_fd);
}

static int wait_for_go(int go_fd)
{
	char c;
	ssize_t n;
	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	close(go_fd);
	return n == 1 ? 0 : -1;
}

/* One byte to the supervisor on the status pipe: 'r' once able to serve,
 * 'd' once no longer serving (requests answered, counters saved). */
static void tell_supervisor(int status_fd, char what)
{
	if (write(status_fd, &what, 1) != 1)
		log_warn("cannot tell the supervisor this process is %s: %s",
			 what == 'r' ? "ready" : "done", strerror(errno));
}

/* Every few seconds, on the autosave thread: what expired is freed, and
 * the metrics' gauges are set. */
static void tidy(void)
{
	files_tidy();
	metrics_set(MI_CONTAINERS_LOADAVG, loadavg_count());
	metrics_set(MI_CONTAINERS_STAT, cpustat_count());
	metrics_set(MI_RCACHE_ENTRIES, files_cache_entries());
}

/* Background threads (util/thread.h: they take no signals). */
static int start_helpers(const struct options *o, const struct cgroups *cg, int state_fd)
{
	state_autosave_start(state_fd, tidy);
	if (o->loadavg && sampler_start(cg) < 0) {
		log_err("cannot start the loadavg sampler");
		return -1;
	}
	return 0;
}

int worker_main(const struct options *o, const char *prog, const struct handoff *h)
{
	struct strbuf err = STRBUF_INIT;
	struct cgroups cg;
	struct inflight *journal = NULL;
	int status = WORKER_EXIT_FATAL;

	/* The connection must not outlive its supervisor in a process nobody
	 * restarts or stops. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	log_setup(!o->foreground, o->debug);
	metrics_attach(h->metrics_fd, metrics_register_files);
	if (h->metrics_fd < 0)
		log_info("metrics: no counters from the supervisor (an older release?): this process "
			 "counts in its own memory");
	allow_core_dumps();
	if (host_init(&err) < 0 || cgroups_open(&cg, host()->cgroup, &err) < 0) {
		log_err("%s", sb_str(&err));
		sb_free(&err);
		host_fini();
		return WORKER_EXIT_FATAL;
	}
	reader_init(o->view_from);
	files_setup(&(struct files_config){
		.cg = &cg,
		.swap_disabled = o->swap_disabled,
		.zswap_disabled = o->zswap_disabled,
		.use_cfs = o->use_cfs,
		.cpuinfo_flat = o->cpuinfo_flat,
		.loadavg = o->loadavg,
	});
	files_set_virtualization(h->virtualize);
	struct fuse_session *se = NULL;
	if (o->enable_cgroup && cgfs_setup(host()->cgroup, &err) < 0) {
		log_err("%s", sb_str(&err));
		goto out;
	}
	tree_build();
	ops_set_generation(h->generation);

	se = cviewfs_session_new(prog, o);
	char fdpath[32];
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", h->fuse_fd);
	if (!se || fuse_session_mount(se, fdpath) != 0) {
		log_err("cannot start a FUSE session on the handed-over connection");
		goto out;
	}
	install_signals();
	tell_supervisor(h->ready_fd, 'r');
	/* An upgrade: the predecessor is still draining its requests. */
	if (h->go_fd >= 0 && wait_for_go(h->go_fd) < 0)
		goto out_session;
	/* Only now: the predecessor may have added nodes and saved counters
	 * until it stopped. */
	tree_set_journal(h->journal_fd);
	state_load(h->state_fd);
	if (replay_init(se, h->init_fd) < 0) {
		log_err("the saved FUSE INIT request is unreadable");
		goto out_session;
	}
	journal = inflight_open(h->inflight_fd);
	if (!journal)
		goto out_session;
	answer_orphans(se, o, journal, h->fuse_fd);
	if (start_helpers(o, &cg, h->state_fd) < 0)
		goto out_session;
	if (h->agent_fd >= 0 && agent_start(h->agent_fd, o->use_cfs, h->generation) < 0)
		log_warn("the seccomp agent cannot start: containers get the real system calls");
	log_info("cviewfs %s serving (cgroup layout %s, process %ld, generation %u)", CVIEWFS_VERSION,
		 cg_layout_name(cg.layout), (long)getpid(), h->generation);
	status = loop_serve(se, REQUEST_THREADS, answer_raw(o), journal) == 0 ? 0 : 1;
	if (status == 0 && !stop_asked) {
		/* The request loop ends by itself only when the kernel ended
		 * the connection. */
		log_info("the connection was ended by the kernel (unmounted, or aborted)");
		status = WORKER_EXIT_GONE;
	}
	agent_stop();
	sampler_stop();
	state_autosave_stop();
	state_save(h->state_fd);
	/* The successor may start now: what is left (freeing, and a
	 * sanitizer's leak check) needs no one to wait. */
	tell_supervisor(h->ready_fd, 'd');
out_session:
out:
	inflight_close(journal);
	if (se)
		fuse_session_destroy(se);
	tree_destroy();
	cgfs_teardown();
	reader_fini();
	kept_close_all();
	cgroups_close(&cg);
	host_fini();
	metrics_detach();
	sb_free(&err);
	return status;
}
