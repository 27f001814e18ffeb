/* The command line, lxcfs-compatible (same flags, same meanings). */
#ifndef CVIEWFS_OPTIONS_H
#define CVIEWFS_OPTIONS_H

#include <stdbool.h>

#include "reader/reader.h"
#include "util/strbuf.h"

struct options {
	bool debug;          /* -d: debug logs and libfuse request tracing */
	bool foreground;     /* -f */
	bool help;           /* -h */
	bool version;        /* -v */
	bool swap_disabled;  /* -u */
	bool zswap_disabled; /* -z */
	bool use_cfs;        /* --enable-cfs */
	bool loadavg;        /* -l */
	bool cpuinfo_flat;   /* --cpuinfo-topology=flat */
	bool enable_cgroup;  /* --enable-cgroup: the legacy cgroupfs view */
	enum view_from view_from;
	const char *pidfile; /* -p; default <runtime dir>/cviewfs.pid */
	const char *runtime_dir;
	const char *mountpoint;
	/* --metrics-file; default the pid file's path with ".prom" for ".pid";
	 * NULL: none ("--metrics-file none") */
	const char *metrics_file;
	/* --seccomp-socket; default the pid file's path with ".seccomp.sock"
	 * for ".pid"; NULL: no seccomp agent ("--seccomp-socket none") */
	const char *seccomp_socket;
	struct strbuf fuse_opts; /* every -o, comma-joined */
	char *pidfile_owned, *metrics_file_owned, *seccomp_socket_owned;
};

/* 0 on success; otherwise a message in err and a non-zero exit status. */
int options_parse(int argc, char **argv, struct options *o, struct strbuf *err);
void options_free(struct options *o);
void options_usage(const char *prog);

#endif
