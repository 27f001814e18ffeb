#include "serve/fdstore.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static const char *const names[] = { "cviewfs-fuse", "cviewfs-init", "cviewfs-nodes",
				     "cviewfs-state", "cviewfs-inflight", "cviewfs-metrics" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* libsystemd, loaded only under systemd (a notification socket or
 * passed descriptors in the environment): linked in, it and the
 * libraries it pulls in (gcrypt, zstd, lz4, lzma, cap) are about half a
 * MiB of private pages in each of our two processes, for three calls. */
static struct {
	typeof(&sd_pid_notify_with_fds) pid_notify_with_fds;
	typeof(&sd_notify) notify;
	typeof(&sd_listen_fds_with_names) listen_fds_with_names;
} sd;
static pthread_once_t sd_once = PTHREAD_ONCE_INIT;

static void sd_load(void)
{
	void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		log_err("cannot load libsystemd.so.0 (%s): systemd's descriptor store is not used", dlerror());
		return;
	}
	sd.pid_notify_with_fds = (typeof(sd.pid_notify_with_fds))dlsym(lib, "sd_pid_notify_with_fds");
	sd.notify = (typeof(sd.notify))dlsym(lib, "sd_notify");
	sd.listen_fds_with_names = (typeof(sd.listen_fds_with_names))dlsym(lib, "sd_listen_fds_with_names");
	if (!sd.pid_notify_with_fds || !sd.notify || !sd.listen_fds_with_names) {
		log_err("libsystemd.so.0 lacks sd_pid_notify_with_fds, sd_notify or sd_listen_fds_with_names: "
			"systemd's descriptor store is not used");
		sd.pid_notify_with_fds = NULL;
		sd.notify = NULL;
		sd.listen_fds_with_names = NULL;
	}
}

/* Whether libsystemd is there to talk to systemd (loaded on first use). */
static bool sd_ready(void)
{
	pthread_once(&sd_once, sd_load);
	return sd.notify != NULL;
}

/* Passed descriptors of other names, set aside for fdstore_take_named. */
static struct {
	int *fds;
	char **names;
	size_t n;
} aside;

static void set_aside(int fd, const char *name)
{
	aside.fds = xrealloc(aside.fds, (aside.n + 1) * sizeof(*aside.fds));
	aside.names = xrealloc(aside.names, (aside.n + 1) * sizeof(*aside.names));
	aside.fds[aside.n] = fd;
	aside.names[aside.n++] = xstrdup(name);
}

size_t fdstore_take_named(const char *prefix, int **fds, char ***names)
{
	size_t n = 0, len = strlen(prefix);
	*fds = NULL;
	*names = NULL;
	for (size_t i = 0; i < aside.n; i++) {
		if (aside.fds[i] < 0 || strncmp(aside.names[i], prefix, len))
			continue;
		*fds = xrealloc(*fds, (n + 1) * sizeof(**fds));
		*names = xrealloc(*names, (n + 1) * sizeof(**names));
		(*fds)[n] = aside.fds[i];
		(*names)[n++] = aside.names[i];
		aside.fds[i] = -1;
		aside.names[i] = NULL;
	}
	return n;
}

void fdstore_put_one(int fd, const char *name)
{
	if (!getenv("NOTIFY_SOCKET") || !sd_ready())
		return;
	char *msg = xasprintf("FDSTORE=1\nFDNAME=%s", name);
	int r = sd.pid_notify_with_fds(0, 0, msg, &fd, 1);
	free(msg);
	if (r <= 0)
		log_once("fdstore", "put-one", "cannot keep %s in systemd's descriptor store (%s): a killed "
			 "supervisor loses it (the unit's FileDescriptorStoreMax= bounds how many)", name,
			 r < 0 ? strerror(-r) : "no notification socket");
}

void fdstore_remove_one(const char *name)
{
	if (!getenv("NOTIFY_SOCKET") || !sd_ready())
		return;
	char *msg = xasprintf("FDSTOREREMOVE=1\nFDNAME=%s", name);
	sd.notify(0, msg);
	free(msg);
}

static int *slot(struct held_fds *h, size_t i)
{
	int *slots[] = { &h->fuse, &h->init, &h->nodes, &h->state, &h->inflight, &h->metrics };
	return slots[i];
}

void fdstore_put(const struct held_fds *h)
{
	if (!getenv("NOTIFY_SOCKET") || !sd_ready())
		return;
	struct held_fds copy = *h;
	for (size_t i = 0; i < NNAMES; i++) {
		int fd = *slot(&copy, i);
		if (fd < 0)
			continue;
		char *msg = xasprintf("FDSTORE=1\nFDNAME=%s", names[i]);
		int r = sd.pid_notify_with_fds(0, 0, msg, &fd, 1);
		free(msg);
		if (r <= 0) {
			log_once("fdstore", "put", "cannot keep the FUSE connection in systemd's descriptor "
				 "store (%s): a killed supervisor will break the mount (the unit needs "
				 "NotifyAccess=main and FileDescriptorStoreMax=8)",
				 r < 0 ? strerror(-r) : "no notification socket");
			return;
		}
	}
}

void fdstore_drop(void)
{
	if (!getenv("NOTIFY_SOCKET") || !sd_ready())
		return;
	for (size_t i = 0; i < NNAMES; i++) {
		char *msg = xasprintf("FDSTOREREMOVE=1\nFDNAME=%s", names[i]);
		sd.notify(0, msg);
		free(msg);
	}
}

/* A character device that is /dev/fuse (10:229). */
static bool is_fuse_device(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 &&
	       minor(st.st_rdev) == 229;
}

bool fdstore_take(struct held_fds *h)
{
	char **fdnames = NULL;
	*h = (struct held_fds)HELD_FDS_NONE;
	/* Passed descriptors come with LISTEN_FDS (and LISTEN_PID). */
	if (!getenv("LISTEN_FDS") || !sd_ready())
		return false;
	int n = sd.listen_fds_with_names(1, &fdnames);

	for (int k = 0; k < n; k++) {
		int fd = SD_LISTEN_FDS_START + k;
		bool taken = false;
		for (size_t i = 0; fdnames && i < NNAMES && !taken; i++) {
			if (fdnames[k] && !strcmp(fdnames[k], names[i]) && *slot(h, i) < 0) {
				*slot(h, i) = fd;
				taken = true;
			}
		}
		if (!taken && fdnames && fdnames[k] && !strncmp(fdnames[k], "cviewfs-seccomp-", 16))
			set_aside(fd, fdnames[k]);
		else if (!taken)
			close(fd);
	}
	if (fdnames)
		for (int k = 0; k < n; k++)
			free(fdnames[k]);
	free(fdnames);
	if (h->fuse >= 0 && h->init >= 0 && is_fuse_device(h->fuse))
		return true;
	for (size_t i = 0; i < NNAMES; i++)
		if (*slot(h, i) >= 0)
			close(*slot(h, i));
	*h = (struct held_fds)HELD_FDS_NONE;
	return false;
}

char *reexec_format(const struct reexec *r)
{
	return xasprintf("fuse=%d,init=%d,nodes=%d,state=%d,inflight=%d,pidfile=%d,worker=%ld,"
			 "status=%d,gen=%u,virt=%d", r->fds.fuse, r->fds.init, r->fds.nodes, r->fds.state,
			 r->fds.inflight, r->pidfile_fd, (long)r->worker, r->worker_status_fd,
			 r->generation, r->virtualize ? 1 : 0);
}

int reexec_parse(const char *s, struct reexec *r)
{
	long worker;
	int virt, end = 0;

	if (!s || sscanf(s, "fuse=%d,init=%d,nodes=%d,state=%d,inflight=%d,pidfile=%d,worker=%ld,"
			 "status=%d,gen=%u,virt=%d%n", &r->fds.fuse, &r->fds.init, &r->fds.nodes,
			 &r->fds.state, &r->fds.inflight, &r->pidfile_fd, &worker, &r->worker_status_fd,
			 &r->generation, &virt, &end) != 10 || s[end] || r->fds.fuse < 0 || r->fds.init < 0)
		return -1;
	r->worker = (pid_t)worker;
	r->virtualize = virt != 0;
	return 0;
}

char *reexec_format_more(const struct reexec *r)
{
	return xasprintf("metrics=%d", r->fds.metrics);
}

void reexec_parse_more(const char *s, struct reexec *r)
{
	r->fds.metrics = -1;
	for (const char *p = s; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		char *end;
		if (!strncmp(p, "metrics=", 8)) {
			long v = strtol(p + 8, &end, 10);
			if (end != p + 8 && (*end == ',' || !*end) && v >= 0 && v < 1 << 20)
				r->fds.metrics = (int)v;
		}
	}
}
