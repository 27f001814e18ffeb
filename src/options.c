#include "options.h"
#include "metrics/metrics.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_ENABLE_CFS = 256,
	OPT_ENABLE_PIDFD,
	OPT_ENABLE_CGROUP,
	OPT_RUNTIME_DIR,
	OPT_VIEW_FROM,
	OPT_CPUINFO_TOPOLOGY,
	OPT_METRICS_FILE,
	OPT_SECCOMP_SOCKET,
};

void options_usage(const char *prog)
{
	printf("Usage: %s [options] MOUNTPOINT\n"
	       "\n"
	       "Mounts per-container views of /proc and /sys/devices/system/cpu at MOUNTPOINT\n"
	       "(a drop-in for lxcfs: `%s /var/lib/lxcfs`).\n"
	       "\n"
	       "Options:\n"
	       "  -d, --debug            log debug messages and every FUSE request (implies -f)\n"
	       "  -f, --foreground       stay in the foreground, log to stderr\n"
	       "  -h, --help             show this help\n"
	       "  -l, --enable-loadavg   per-container load averages in proc/loadavg\n"
	       "  -u, --disable-swap     containers see no swap\n"
	       "  -z, --disable-zswap    containers see Zswap/Zswapped as 0\n"
	       "  -p, --pidfile FILE     pid file, locked while running\n"
	       "                         (default RUNTIME_DIR/cviewfs.pid)\n"
	       "  -o OPT[,OPT...]        extra FUSE mount options\n"
	       "  -s                     accepted for lxcfs compatibility, ignored\n"
	       "  -v, --version          print the version\n"
	       "      --enable-cfs       also limit the visible CPUs to ceil(CFS quota / period)\n"
	       "      --enable-pidfd     accepted; pidfds are used whenever the kernel has them\n"
	       "      --enable-cgroup    serve MOUNTPOINT/cgroup: each container sees and manages only\n"
	       "                         its own cgroup subtree (hosts without cgroup namespaces)\n"
	       "      --runtime-dir DIR  directory of the default pid file (default /run)\n"
	       "      --cpuinfo-topology host|flat\n"
	       "                         cpuinfo topology fields: as the host's (default, as\n"
	       "                         lxcfs) or each CPU its own socket (as openEuler's lxcfs)\n"
	       "      --metrics-file PATH|none\n"
	       "                         Prometheus text file of the daemon's metrics, written\n"
	       "                         every 15 s (default: the pid file's path, .prom for .pid)\n"
	       "      --seccomp-socket PATH|none\n"
	       "                         where OCI runtimes hand over containers' seccomp\n"
	       "                         notify descriptors (linux.seccomp.listenerPath), to have\n"
	       "                         sysinfo(2) and, with --enable-cfs, sched_getaffinity(2)\n"
	       "                         answered for the container (default: the pid file's\n"
	       "                         path, .seccomp.sock for .pid)\n"
	       "      --view-from WHO    whose cgroup a reader sees: 'init' (default: the init\n"
	       "                         of the reader's pid namespace, as lxcfs) or 'reader'\n"
	       "                         (the reader's own cgroup; for pods sharing a pid\n"
	       "                         namespace with a pause container)\n"
	       "\n"
	       "Signals (to the pid in the pid file): SIGTERM/SIGINT unmount and exit;\n"
	       "SIGUSR1 upgrades in place (the binary now at this path takes over, nothing is\n"
	       "unmounted); SIGUSR2 toggles host values on/off.\n",
	       prog, prog);
}

/* The pid file's path with `suffix` for its ".pid". */
static char *path_beside_pidfile(const char *pidfile, const char *suffix)
{
	size_t len = strlen(pidfile);
	if (len > 4 && !strcmp(pidfile + len - 4, ".pid"))
		len -= 4;
	return xasprintf("%.*s%s", (int)len, pidfile, suffix);
}

static void add_fuse_opt(struct options *o, const char *opt)
{
	if (o->fuse_opts.len)
		sb_putc(&o->fuse_opts, ',');
	sb_puts(&o->fuse_opts, opt);
}

int options_parse(int argc, char **argv, struct options *o, struct strbuf *err)
{
	static const struct option longopts[] = {
		{ "debug", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "enable-loadavg", no_argument, NULL, 'l' },
		{ "disable-swap", no_argument, NULL, 'u' },
		{ "disable-zswap", no_argument, NULL, 'z' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'v' },
		{ "enable-cfs", no_argument, NULL, OPT_ENABLE_CFS },
		{ "enable-pidfd", no_argument, NULL, OPT_ENABLE_PIDFD },
		{ "enable-cgroup", no_argument, NULL, OPT_ENABLE_CGROUP },
		{ "runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR },
		{ "view-from", required_argument, NULL, OPT_VIEW_FROM },
		{ "cpuinfo-topology", required_argument, NULL, OPT_CPUINFO_TOPOLOGY },
		{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
		{ "seccomp-socket", required_argument, NULL, OPT_SECCOMP_SOCKET },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	bool no_metrics = false, no_seccomp = false;

	memset(o, 0, sizeof(*o));
	o->runtime_dir = "/run";
	o->view_from = VIEW_FROM_INIT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":dfhnluzp:vo:s", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->debug = o->foreground = true; break; /* as fuse's -d */
		case 'f': o->foreground = true; break;
		case 'h':
		case 'n': o->help = true; break; /* lxcfs also takes -n */
		case 'l': o->loadavg = true; break;
		case 'u': o->swap_disabled = true; break;
		case 'z': o->zswap_disabled = true; break;
		case 'p': o->pidfile = optarg; break;
		case 'v': o->version = true; break;
		case 'o': add_fuse_opt(o, optarg); break;
		case 's': break;
		case OPT_ENABLE_CFS: o->use_cfs = true; break;
		case OPT_ENABLE_PIDFD: break;
		case OPT_ENABLE_CGROUP: o->enable_cgroup = true; break;
		case OPT_RUNTIME_DIR: o->runtime_dir = optarg; break;
		case OPT_METRICS_FILE:
			if (!*optarg) {
				sb_puts(err, "--metrics-file takes a path, or 'none'");
				return 1;
			}
			no_metrics = !strcmp(optarg, "none");
			o->metrics_file = no_metrics ? NULL : optarg;
			break;
		case OPT_SECCOMP_SOCKET:
			if (!*optarg) {
				sb_puts(err, "--seccomp-socket takes a path, or 'none'");
				return 1;
			}
			no_seccomp = !strcmp(optarg, "none");
			o->seccomp_socket = no_seccomp ? NULL : optarg;
			break;
		case OPT_VIEW_FROM:
			if (!strcmp(optarg, "init"))
				o->view_from = VIEW_FROM_INIT;
			else if (!strcmp(optarg, "reader"))
				o->view_from = VIEW_FROM_READER;
			else {
				sb_printf(err, "--view-from takes 'init' or 'reader', not '%s'", optarg);
				return 1;
			}
			break;
		case OPT_CPUINFO_TOPOLOGY:
			if (!strcmp(optarg, "host") || !strcmp(optarg, "flat")) {
				o->cpuinfo_flat = !strcmp(optarg, "flat");
				break;
			}
			sb_printf(err, "--cpuinfo-topology takes 'host' or 'flat', not '%s'", optarg);
			return 1;
		case ':':
			sb_printf(err, "option %s needs an argument", argv[optind - 1]);
			return 1;
		default:
			sb_printf(err, "unknown option %s (see --help)", argv[optind - 1]);
			return 1;
		}
	}
	if (o->help || o->version)
		return 0;
	if (optind >= argc) {
		sb_puts(err, "missing MOUNTPOINT (see --help)");
		return 1;
	}
	if (optind + 1 < argc) {
		sb_printf(err, "unexpected argument '%s' after MOUNTPOINT", argv[optind + 1]);
		return 1;
	}
	o->mountpoint = argv[optind];
	if (!o->pidfile)
		o->pidfile = o->pidfile_owned = xasprintf("%s/cviewfs.pid", o->runtime_dir);
	if (!o->metrics_file && !no_metrics)
		o->metrics_file = o->metrics_file_owned = metrics_default_path(o->pidfile);
	if (!o->seccomp_socket && !no_seccomp)
		o->seccomp_socket = o->seccomp_socket_owned = path_beside_pidfile(o->pidfile, ".seccomp.sock");
	return 0;
}

void options_free(struct options *o)
{
	sb_free(&o->fuse_opts);
	free(o->pidfile_owned);
	free(o->metrics_file_owned);
	free(o->seccomp_socket_owned);
	o->pidfile_owned = o->metrics_file_owned = o->seccomp_socket_owned = NULL;
}
