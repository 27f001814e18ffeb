/* cviewfs: per-container /proc and /sys/devices/system/cpu over FUSE. */
#include "cgroup/cgroup.h"
#include "config.h"
#include "daemon.h"
#include "fs/files.h"
#include "fs/ops.h"
#include "fs/sampler.h"
#include "fs/tree.h"
#include "host/host.h"
#include "options.h"
#include "reader/reader.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <fuse_lowlevel.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(const char *msg)
{
	/* Signal handlers may only write(2). */
	ssize_t r = write(STDERR_FILENO, msg, strlen(msg));
	(void)r;
}

static struct fuse_session *session;

static void on_exit_signal(int sig)
{
	(void)sig;
	fuse_session_exit(session);
}

static void on_sigusr2(int sig)
{
	(void)sig;
	files_toggle_virtualization();
	say(files_virtualizing() ? "cviewfs: virtualization on\n"
				 : "cviewfs: virtualization off: serving host values\n");
}

static void on_sigusr1(int sig)
{
	(void)sig;
	/* lxcfs users' ExecReload sends SIGUSR1; it must not kill us. */
	say("cviewfs: SIGUSR1 (live upgrade) is not supported by this version; ignored\n");
}

static void install_signals(struct fuse_session *se)
{
	struct sigaction sa = { .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	/* libfuse only replaces a default disposition, but a daemon started
	 * from a shell's background (or any parent that ignores SIGINT) must
	 * still stop on SIGTERM and SIGINT. No SA_RESTART: the waits of the
	 * request loop must see the interruption. */
	session = se;
	struct sigaction stop = { .sa_handler = on_exit_signal };
	sigemptyset(&stop.sa_mask);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	sa.sa_handler = on_sigusr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_sigusr1;
	sigaction(SIGUSR1, &sa, NULL);
}

static struct fuse_session *new_session(const char *prog, const struct options *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct strbuf mopts = STRBUF_INIT;

	/* allow_other: containers run as other users. */
	/* ro: nothing here is writable, and the kernel then skips the atime
	 * invalidation that costs a GETATTR after every read. */
	sb_puts(&mopts, "ro,allow_other,fsname=cviewfs,subtype=cviewfs");
	if (o->fuse_opts.len)
		sb_printf(&mopts, ",%s", sb_str(&o->fuse_opts));
	fuse_opt_add_arg(&args, prog);
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, sb_str(&mopts));
	if (o->debug)
		fuse_opt_add_arg(&args, "-d");
	struct fuse_session *se = fuse_session_new(&args, &cviewfs_ops, sizeof(cviewfs_ops), NULL);
	fuse_opt_free_args(&args);
	sb_free(&mopts);
	return se;
}

static int serve(struct fuse_session *se)
{
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_max_threads(cfg, 64);
	int r = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}

/* Start-up failed before anything was mounted: one line, and a clean exit. */
static int fail_early(struct strbuf *err, struct options *o)
{
	fprintf(stderr, "cviewfs: %s\n", sb_str(err));
	sb_free(err);
	options_free(o);
	host_fini();
	return 1;
}

int main(int argc, char **argv)
{
	struct options o;
	struct strbuf err = STRBUF_INIT;
	struct cgroups cg;
	int status = 1;

	if (options_parse(argc, argv, &o, &err))
		return fail_early(&err, &o);
	if (o.help || o.version) {
		if (o.help)
			options_usage(argv[0]);
		else
			printf("cviewfs %s\n", CVIEWFS_VERSION);
		options_free(&o);
		return 0;
	}
	log_setup(false, o.debug);
	if (check_can_mount(o.mountpoint, &err) < 0 || host_init(&err) < 0)
		return fail_early(&err, &o);
	if (cgroups_open(&cg, host()->cgroup, &err) < 0)
		return fail_early(&err, &o);

	int pidfd = pidfile_lock(o.pidfile, &err);
	if (pidfd < 0) {
		cgroups_close(&cg);
		return fail_early(&err, &o);
	}

	reader_init(o.view_from);
	files_setup(&(struct files_config){
		.cg = &cg,
		.swap_disabled = o.swap_disabled,
		.zswap_disabled = o.zswap_disabled,
		.use_cfs = o.use_cfs,
		.cpuinfo_flat = o.cpuinfo_flat,
		.loadavg = o.loadavg,
	});
	tree_build();

	struct fuse_session *se = new_session(argv[0], &o);
	if (!se) {
		sb_puts(&err, "cannot start the FUSE session (check the -o options)");
		goto out_pidfile;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		sb_puts(&err, "cannot install signal handlers");
		goto out_session;
	}
	install_signals(se);
	if (fuse_session_mount(se, o.mountpoint) != 0) {
		sb_printf(&err, "cannot mount on %s (see the message above)", o.mountpoint);
		goto out_signals;
	}
	if (fuse_daemonize(o.foreground) != 0) {
		sb_puts(&err, "cannot daemonize");
		goto out_unmount;
	}
	if (!o.foreground)
		log_setup(true, o.debug);
	pidfile_write(pidfd);
	/* Threads only after daemonizing: fork keeps just the calling one. */
	if (o.loadavg && sampler_start(&cg) < 0) {
		sb_puts(&err, "cannot start the loadavg sampler");
		goto out_unmount;
	}
	log_info("serving %s (cgroup layout %s, pid %ld)", o.mountpoint, cg_layout_name(cg.layout),
		 (long)getpid());

	status = serve(se) == 0 ? 0 : 1;
	log_info("unmounting %s", o.mountpoint);
	sampler_stop();

out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_pidfile:
	pidfile_remove(o.pidfile, pidfd);
	tree_destroy();
	reader_fini();
	cgroups_close(&cg);
	host_fini();
	if (err.len)
		fprintf(stderr, "cviewfs: %s\n", sb_str(&err));
	sb_free(&err);
	options_free(&o);
	return status;
}
