/* cviewfs-toolkit: container integration for cviewfs (OCI and LXC hooks,
 * remount, umount, check, prestart). See `cviewfs-toolkit --help`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "commands.h"
#include "config.h"

#define MAX_ROOTS 16

static const char usage[] =
	"usage: cviewfs-toolkit [OPTIONS] COMMAND\n"
	"\n"
	"commands:\n"
	"  hook                      OCI hook (createRuntime, prestart or createContainer; and\n"
	"                            poststop): container state on stdin, binds cviewfs's files\n"
	"                            into the rootfs; exits 0 when cviewfs is not serving\n"
	"  remount --all | --container-id ID\n"
	"                            replace stale or missing binds in running containers\n"
	"  umount --all | --container-id ID\n"
	"                            remove the binds: containers see the host's files again\n"
	"  check [--wait SECONDS]    exit 0 when cviewfs is mounted and serving (one real read)\n"
	"  prestart                  make the mount point a shared mount of its own, before the\n"
	"                            daemon starts, for containers that bind the whole directory\n"
	"  status [-p PIDFILE | --metrics-file PATH]\n"
	"                            summary of the daemon's metrics file (default: PIDFILE's path\n"
	"                            with .prom for .pid; PIDFILE: /run/cviewfs.pid): reads,\n"
	"                            errors, cache hits, fallbacks, restarts, latency; fails when\n"
	"                            the file is missing or older than 60 s\n"
	"  lxc-mount [--cgroup], lxc-stop\n"
	"                            LXC's mount and post-stop hooks (use the installed scripts);\n"
	"                            --cgroup: also cviewfs's cgroup view (--enable-cgroup) over\n"
	"                            the container's /sys/fs/cgroup, for hosts without cgroup\n"
	"                            namespaces\n"
	"\n"
	"options:\n"
	"  -m, --mountpoint DIR      where cviewfs is mounted (default $CVIEWFS_MOUNTPOINT or\n"
	"                            /var/lib/lxcfs)\n"
	"      --state-dir DIR       the hooks' registry (default $CVIEWFS_TOOLKIT_STATE_DIR or\n"
	"                            /run/cviewfs-toolkit)\n"
	"      --runtime-root DIR    a runc/crun state directory to look up --container-id in\n"
	"                            (repeatable; default /run/runc, /run/crun,\n"
	"                            /run/containerd/runc/k8s.io, /run/docker/runtime-runc/moby)\n"
	"      --lxc-path DIR        LXC's container directory for --container-id\n"
	"  -h, --help, -v, --version\n";

static const char *default_roots[] = {"/run/runc", "/run/crun", "/run/containerd/runc/k8s.io",
				      "/run/docker/runtime-runc/moby", NULL};

struct args {
	tk_config cfg;
	const char *roots[MAX_ROOTS + 1];
	int nroots;
	bool all;
	const char *id;
	const char *rootfs;
	bool cgroup;
	double wait_s;
	const char *pidfile, *metrics_file;
	const char *command;
};

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

/* Options may come before or after the command (getopt permutes). */
static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_STATE = 256, O_ROOT, O_LXC, O_ALL, O_ID, O_WAIT, O_ROOTFS, O_CGROUP, O_METRICS };
	static const struct option opts[] = {
		{"mountpoint", required_argument, NULL, 'm'},
		{"state-dir", required_argument, NULL, O_STATE},
		{"runtime-root", required_argument, NULL, O_ROOT},
		{"lxc-path", required_argument, NULL, O_LXC},
		{"all", no_argument, NULL, O_ALL},
		{"container-id", required_argument, NULL, O_ID},
		{"wait", required_argument, NULL, O_WAIT},
		{"rootfs", required_argument, NULL, O_ROOTFS},
		{"cgroup", no_argument, NULL, O_CGROUP},
		{"pidfile", required_argument, NULL, 'p'},
		{"metrics-file", required_argument, NULL, O_METRICS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	a->cfg.mountpoint = env_or("CVIEWFS_MOUNTPOINT", "/var/lib/lxcfs");
	a->cfg.state_dir = env_or("CVIEWFS_TOOLKIT_STATE_DIR", "/run/cviewfs-toolkit");
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "m:p:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'm': a->cfg.mountpoint = optarg; break;
		case O_STATE: a->cfg.state_dir = optarg; break;
		case O_LXC: a->cfg.lxc_path = optarg; break;
		case O_ALL: a->all = true; break;
		case O_ID: a->id = optarg; break;
		case O_ROOTFS: a->rootfs = optarg; break;
		case O_CGROUP: a->cgroup = true; break;
		case 'p': a->pidfile = optarg; break;
		case O_METRICS: a->metrics_file = optarg; break;
		case O_ROOT:
			if (a->nroots == MAX_ROOTS) {
				fprintf(stderr, "cviewfs-toolkit: at most %d --runtime-root\n", MAX_ROOTS);
				return 2;
			}
			a->roots[a->nroots++] = optarg;
			break;
		case O_WAIT:
			a->wait_s = strtod(optarg, &end);
			if (*end || a->wait_s < 0) {
				fprintf(stderr, "cviewfs-toolkit: --wait wants seconds, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'v': puts("cviewfs-toolkit " CVIEWFS_VERSION); exit(0);
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return 2;
	}
	a->command = argv[optind];
	a->cfg.runtime_roots = a->nroots ? a->roots : default_roots;
	return 0;
}

/* remount and umount want exactly one of --all and --container-id. */
static int check_target(const struct args *a)
{
	if (a->all == !!a->id) {
		fprintf(stderr, "cviewfs-toolkit: %s wants --all or --container-id ID\n", a->command);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	int r = parse_args(argc, argv, &a);
	if (r)
		return r;
	const char *cmd = a.command;
	if (a.cgroup && strcmp(cmd, "lxc-mount") != 0) {
		fprintf(stderr, "cviewfs-toolkit: --cgroup is an option of lxc-mount only\n");
		return 2;
	}
	if ((a.pidfile || a.metrics_file) && strcmp(cmd, "status") != 0) {
		fprintf(stderr, "cviewfs-toolkit: -p and --metrics-file are options of status only\n");
		return 2;
	}
	if (strcmp(cmd, "hook") == 0 || strncmp(cmd, "lxc-", 4) == 0) {
		tk_log_to_syslog = true;
		openlog("cviewfs-toolkit", LOG_PID, LOG_DAEMON);
	}
	if (strcmp(cmd, "hook") == 0)
		return cmd_hook(&a.cfg);
	if (strcmp(cmd, "remount") == 0)
		return check_target(&a) ?: cmd_remount(&a.cfg, a.id);
	if (strcmp(cmd, "umount") == 0)
		return check_target(&a) ?: cmd_umount(&a.cfg, a.id);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&a.cfg, a.wait_s);
	if (strcmp(cmd, "prestart") == 0)
		return cmd_prestart(&a.cfg);
	if (strcmp(cmd, "lxc-mount") == 0)
		return cmd_lxc_mount(&a.cfg, a.rootfs, a.cgroup);
	if (strcmp(cmd, "lxc-stop") == 0)
		return cmd_lxc_stop(&a.cfg);
	if (strcmp(cmd, "status") == 0) {
		/* With only --metrics-file, no pid file is known to be its. */
		const char *pidfile = a.pidfile ? a.pidfile : a.metrics_file ? NULL : "/run/cviewfs.pid";
		return cmd_status(pidfile, a.metrics_file);
	}
	fprintf(stderr, "cviewfs-toolkit: unknown command '%s'\n%s", cmd, usage);
	return 2;
}
