#include "reader/reader.h"
#include "host/host.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "view/window.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux 6.9+: translate a pid of a given pid namespace into ours. */
#ifndef NS_GET_TGID_FROM_PIDNS
#define NS_GET_TGID_FROM_PIDNS _IOR(NSIO, 0x7, int)
#endif

struct init_entry {
	struct init_entry *next;
	unsigned refs; /* the table's, plus one per resolution using it */
	ino_t pidns;
	pid_t pid;
	uint64_t start_ticks;
	int pidfd; /* -1 when pidfds are unavailable */
	/* /proc/<pid>/cgroup kept open, or -1. A procfs file is bound to its
	 * process: after the process exits, reads fail instead of showing
	 * another process that got the pid. Read at offset 0 and parsed at
	 * every resolution (not kept: the text and its paths were a kilobyte
	 * per container, most of the memory with many idle containers, for
	 * under a microsecond of parsing saved). */
	int cg_fd;
};

#define CACHE_BUCKETS 256
/* Past this many cached namespaces, dead entries are swept on insert. */
#define CACHE_SWEEP_AT 1024

/* Views resolved in the last READER_TRUST_NS, by reader pid (see
 * reader.h for why a pid may be trusted that long). Sharded so that
 * concurrent readers rarely meet on a lock; a shard keeps its few most
 * recent readers and frees the others' views as they expire. */
#define TRUST_SHARDS 32
#define TRUST_SLOTS 4

struct trusted {
	pid_t pid; /* 0: free slot */
	struct reader_view view;
	struct strbuf identity; /* reader_view_identity of view */
};

static struct trust_shard {
	pthread_mutex_t lock;
	struct trusted slot[TRUST_SLOTS];
} trust[TRUST_SHARDS] = { [0 ... TRUST_SHARDS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER } };

static uint64_t trust_ns = READER_TRUST_NS;

/* The trust window now: stretched under load as the render window is
 * (view/window.h), so that a render served for a window is not followed
 * by a resolution at every read. */
static uint64_t trust_window(void)
{
	return trust_ns * window_stretch();
}

static struct {
	enum view_from rule;
	ino_t own_pidns;
	pthread_mutex_t lock;
	struct init_entry *bucket[CACHE_BUCKETS];
	unsigned count;
	unsigned kept_fds, max_kept_fds; /* cg_fd budget: a share of RLIMIT_NOFILE */
} rd = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The inode of a pid namespace link's target: read from the link's text,
 * "pid:[INODE]" (ns_get_name prints the namespace's inum, which is its nsfs
 * inode number), which costs half a stat through the link; stat if the
 * text is not of that form. */
static ino_t pidns_of(const char *pid_str)
{
	char path[64], link[64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/ns/pid", pid_str);
	ssize_t n = readlinkat(host()->proc_fd, path, link, sizeof(link) - 1);
	if (n > 6 && !strncmp(link, "pid:[", 5) && link[n - 1] == ']') {
		link[n - 1] = '\0';
		char *end;
		errno = 0;
		unsigned long long ino = strtoull(link + 5, &end, 10);
		if (!*end && end != link + 5 && !errno && ino)
			return (ino_t)ino;
	}
	if (n < 0 && errno == ENOENT)
		return 0; /* no such process */
	if (fstatat(host()->proc_fd, path, &st, 0) < 0)
		return 0;
	return st.st_ino;
}

static ino_t pidns_of_pid(pid_t pid)
{
	char s[24];
	snprintf(s, sizeof(s), "%d", (int)pid);
	return pidns_of(s);
}

void reader_init(enum view_from rule)
{
	rd.rule = rule;
	rd.own_pidns = pidns_of("self");
	/* Kept cgroup files may use an eighth of the descriptors: the rest is
	 * for pidfds (one per container) and the files every read opens. */
	struct rlimit rl;
	rd.max_kept_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
				  ? (unsigned)(rl.rlim_cur / 8)
				  : 128;
}

/* Called with rd.lock held, or on an entry no other thread can see. */
static void entry_free(struct init_entry *e)
{
	if (e->pidfd >= 0)
		close(e->pidfd);
	if (e->cg_fd >= 0) {
		close(e->cg_fd);
		rd.kept_fds--;
	}
	free(e);
}

static void entry_put_locked(struct init_entry *e)
{
	if (--e->refs == 0)
		entry_free(e);
}

static void entry_put(struct init_entry *e)
{
	pthread_mutex_lock(&rd.lock);
	entry_put_locked(e);
	pthread_mutex_unlock(&rd.lock);
}

static void trusted_clear(struct trusted *t)
{
	reader_view_free(&t->view);
	sb_free(&t->identity);
	t->pid = 0;
}

static void trust_forget_all(void)
{
	for (int i = 0; i < TRUST_SHARDS; i++) {
		pthread_mutex_lock(&trust[i].lock);
		for (int j = 0; j < TRUST_SLOTS; j++)
			trusted_clear(&trust[i].slot[j]);
		pthread_mutex_unlock(&trust[i].lock);
	}
}

void reader_expire(uint64_t now)
{
	for (int i = 0; i < TRUST_SHARDS; i++) {
		pthread_mutex_lock(&trust[i].lock);
		for (int j = 0; j < TRUST_SLOTS; j++) {
			struct trusted *t = &trust[i].slot[j];
			if (t->pid && t->view.as_of_ns + trust_window() <= now)
				trusted_clear(t);
		}
		pthread_mutex_unlock(&trust[i].lock);
	}
}

void reader_set_trust_ns(uint64_t ns)
{
	trust_forget_all();
	trust_ns = ns;
}

static struct trust_shard *trust_shard_of(pid_t pid)
{
	return &trust[(unsigned)pid % TRUST_SHARDS];
}

/* Copies a view of pid resolved less than trust_ns before now. Expired
 * views met on the way are freed. */
static bool trust_get(pid_t pid, uint64_t now, struct reader_view *out)
{
	struct trust_shard *sh = trust_shard_of(pid);
	bool hit = false;

	pthread_mutex_lock(&sh->lock);
	for (int j = 0; j < TRUST_SLOTS; j++) {
		struct trusted *t = &sh->slot[j];
		if (!t->pid)
			continue;
		if (t->view.as_of_ns + trust_window() <= now) {
			trusted_clear(t);
		} else if (t->pid == pid) {
			*out = t->view;
			cg_paths_copy(&out->cg, &t->view.cg);
			hit = true;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return hit;
}

/* Keeps a copy of a fresh view, in place of the pid's previous one, a free
 * slot, or the oldest. */
static void trust_put(pid_t pid, const struct reader_view *v)
{
	struct trust_shard *sh = trust_shard_of(pid);
	struct trusted *dst = NULL;

	if (!trust_ns)
		return;
	pthread_mutex_lock(&sh->lock);
	for (int j = 0; !dst && j < TRUST_SLOTS; j++)
		if (sh->slot[j].pid == pid)
			dst = &sh->slot[j];
	if (dst && dst->view.as_of_ns > v->as_of_ns) {
		pthread_mutex_unlock(&sh->lock); /* a fresher view is already kept */
		return;
	}
	for (int j = 0; !dst && j < TRUST_SLOTS; j++)
		if (!sh->slot[j].pid)
			dst = &sh->slot[j];
	if (!dst) {
		dst = &sh->slot[0];
		for (int j = 1; j < TRUST_SLOTS; j++)
			if (sh->slot[j].view.as_of_ns < dst->view.as_of_ns)
				dst = &sh->slot[j];
	}
	reader_view_free(&dst->view);
	dst->pid = pid;
	dst->view = *v;
	cg_paths_copy(&dst->view.cg, &v->cg);
	sb_reset(&dst->identity);
	reader_view_identity(v, &dst->identity);
	pthread_mutex_unlock(&sh->lock);
}

void reader_fini(void)
{
	trust_forget_all();
	pthread_mutex_lock(&rd.lock);
	for (int b = 0; b < CACHE_BUCKETS; b++) {
		while (rd.bucket[b]) {
			struct init_entry *e = rd.bucket[b];
			rd.bucket[b] = e->next;
			entry_put_locked(e);
		}
	}
	rd.count = 0;
	pthread_mutex_unlock(&rd.lock);
}

unsigned reader_cache_size(void)
{
	return rd.count;
}

bool status_nspid_last(const char *status, pid_t *out)
{
	const char *line = find_line(status, "NSpid", ":");
	if (!line)
		return false;
	const char *p = line + strlen("NSpid:");
	const char *eol = strchrnul(p, '\n');
	long last = -1;
	while (p < eol) {
		char *end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= eol)
			break;
		/* strtol would skip any space, '\n' too: a digit here keeps
		 * the number on this line. */
		if (!isdigit((unsigned char)*p))
			return false;
		errno = 0;
		long v = strtol(p, &end, 10);
		/* Beyond INT_MAX a pid_t would wrap into another pid (2^32 + 1
		 * into 1: "this is the namespace's init"). */
		if (errno || v <= 0 || v > INT_MAX)
			return false;
		last = v;
		p = end;
	}
	if (last <= 0)
		return false;
	*out = (pid_t)last;
	return true;
}

static int read_proc_of(pid_t pid, const char *file, struct strbuf *out)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/%s", (int)pid, file);
	return host_read_proc_small(rel, out); /* stat, status, cgroup: one record each */
}

static bool start_ticks_of(pid_t pid, uint64_t *out)
{
	struct strbuf buf = STRBUF_INIT;
	bool ok = read_proc_of(pid, "stat", &buf) == 0 && proc_stat_field(sb_str(&buf), 22, out);
	sb_free(&buf);
	return ok;
}

bool status_ppid(const char *status, pid_t *out)
{
	uint64_t v;
	/* A number beyond INT_MAX would wrap into another process's pid. */
	if (!meminfo_get(status, "PPid", &v) || v == 0 || v > INT_MAX)
		return false;
	*out = (pid_t)v;
	return true;
}

static bool ppid_of(pid_t pid, pid_t *out)
{
	struct strbuf buf = STRBUF_INIT;
	bool ok = read_proc_of(pid, "status", &buf) == 0 && status_ppid(sb_str(&buf), out);
	sb_free(&buf);
	return ok;
}

/* Is pid the init (pid 1) of pid namespace ns? */
static bool is_init_of(pid_t pid, ino_t ns)
{
	struct strbuf buf = STRBUF_INIT;
	pid_t inner;
	bool ok = pidns_of_pid(pid) == ns && read_proc_of(pid, "status", &buf) == 0 &&
		  status_nspid_last(sb_str(&buf), &inner) && inner == 1;
	sb_free(&buf);
	return ok;
}

/* Host pid of the init of the namespace `reader` lives in. Cheapest first:
 * the nsfs ioctl (Linux 6.9+), then the reader's ancestors (processes
 * entered with setns have a parent outside, so this can stop short), then a
 * scan of /proc. The result is cached, so the scan is paid once per
 * container. */
static pid_t find_init(pid_t reader, ino_t ns)
{
	char path[64];
	snprintf(path, sizeof(path), "%d/ns/pid", (int)reader);
	int nsfd = openat(host()->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (nsfd >= 0) {
		int pid = ioctl(nsfd, NS_GET_TGID_FROM_PIDNS, 1);
		close(nsfd);
		if (pid > 0 && is_init_of(pid, ns))
			return pid;
	}

	for (pid_t p = reader; p > 1 && pidns_of_pid(p) == ns;) {
		if (is_init_of(p, ns))
			return p;
		if (!ppid_of(p, &p))
			break;
	}

	int dfd = openat(host()->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
	pid_t found = 0;
	if (!dir) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	for (struct dirent *de; !found && (de = readdir(dir));) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (*end || v <= 0)
			continue;
		if (is_init_of((pid_t)v, ns))
			found = (pid_t)v;
	}
	closedir(dir);
	return found;
}

/* True while the cached process is the one that was cached. */
static bool entry_alive(const struct init_entry *e)
{
	if (e->pidfd >= 0) {
		/* A pidfd becomes readable when its process exits. */
		struct pollfd pfd = { .fd = e->pidfd, .events = POLLIN };
		return poll(&pfd, 1, 0) == 0;
	}
	uint64_t ticks;
	return start_ticks_of(e->pid, &ticks) && ticks == e->start_ticks;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	if (!host()->fixture)
		return (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	(void)pid;
	return -1;
}

static struct init_entry **bucket_of(ino_t ns)
{
	return &rd.bucket[ns % CACHE_BUCKETS];
}

static void sweep_dead_locked(void)
{
	for (int b = 0; b < CACHE_BUCKETS; b++) {
		for (struct init_entry **pp = &rd.bucket[b]; *pp;) {
			struct init_entry *e = *pp;
			if (entry_alive(e)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			entry_put_locked(e);
			rd.count--;
		}
	}
}

/* Drops e from the table (if still there) and the caller's reference. */
static void cache_drop(struct init_entry *e)
{
	unsigned drop = 1; /* the caller's reference, and the table's if listed */

	pthread_mutex_lock(&rd.lock);
	for (struct init_entry **pp = bucket_of(e->pidns); *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			rd.count--;
			drop++;
			break;
		}
	}
	/* One subtraction: the entry cannot be freed between two puts. */
	e->refs -= drop;
	if (e->refs == 0)
		entry_free(e);
	pthread_mutex_unlock(&rd.lock);
}

/* Opens /proc/<pid>/cgroup to keep, within the descriptor budget. */
static int keep_cgroup_file(pid_t pid)
{
	char rel[32];
	bool room;

	pthread_mutex_lock(&rd.lock);
	room = rd.kept_fds < rd.max_kept_fds;
	if (room)
		rd.kept_fds++;
	pthread_mutex_unlock(&rd.lock);
	if (!room)
		return -1;
	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	int fd = openat(host()->proc_fd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pthread_mutex_lock(&rd.lock);
		rd.kept_fds--;
		pthread_mutex_unlock(&rd.lock);
	}
	return fd;
}

/* The init of namespace ns, from the cache or found afresh; referenced
 * (release with entry_put or cache_drop). With kept_file_checks, a cached
 * entry with a kept cgroup file is handed out without polling its pidfd:
 * the caller reads that file, which fails once its process is gone. */
static struct init_entry *lookup_init(pid_t reader, ino_t ns, bool kept_file_checks)
{
	pthread_mutex_lock(&rd.lock);
	for (struct init_entry **pp = bucket_of(ns); *pp; pp = &(*pp)->next) {
		struct init_entry *e = *pp;
		if (e->pidns != ns)
			continue;
		if ((kept_file_checks && e->cg_fd >= 0) || entry_alive(e)) {
			e->refs++;
			pthread_mutex_unlock(&rd.lock);
			return e;
		}
		*pp = e->next;
		entry_put_locked(e);
		rd.count--;
		break;
	}
	pthread_mutex_unlock(&rd.lock);

	/* Found outside the lock: a /proc scan must not stall other readers. */
	pid_t init = find_init(reader, ns);
	if (init <= 0)
		return NULL;
	struct init_entry *e = xcalloc(1, sizeof(*e));
	e->pidns = ns;
	e->pid = init;
	e->pidfd = open_pidfd(init);
	e->cg_fd = -1;
	/* Opened after the pidfd: if the pidfd's process is the init checked
	 * below, so is the one this file is bound to (or it fails to read). */
	if (e->pidfd >= 0)
		e->cg_fd = keep_cgroup_file(init);
	if (!start_ticks_of(init, &e->start_ticks) || !is_init_of(init, ns)) {
		pthread_mutex_lock(&rd.lock);
		entry_free(e);
		pthread_mutex_unlock(&rd.lock);
		return NULL;
	}
	e->refs = 2; /* the table's and the caller's */

	pthread_mutex_lock(&rd.lock);
	if (rd.count >= CACHE_SWEEP_AT)
		sweep_dead_locked();
	e->next = *bucket_of(ns);
	*bucket_of(ns) = e;
	rd.count++;
	pthread_mutex_unlock(&rd.lock);
	return e;
}

static int parse_paths(const char *text, struct cg_paths *out)
{
	if (!cg_paths_parse(text, out))
		return -EINVAL;
	cg_paths_strip_init_scope(out);
	return 0;
}

static int read_paths(pid_t pid, struct cg_paths *out)
{
	struct strbuf buf = STRBUF_INIT;
	int r = read_proc_of(pid, "cgroup", &buf);
	if (r == 0)
		r = parse_paths(sb_str(&buf), out);
	sb_free(&buf);
	return r;
}

/* The init's cgroups through its kept file, read afresh. */
static int read_kept_paths(struct init_entry *e, struct cg_paths *out)
{
	struct strbuf buf = STRBUF_INIT;
	int r = pread_small(e->cg_fd, &buf);
	if (r == 0)
		r = parse_paths(sb_str(&buf), out);
	sb_free(&buf);
	return r;
}

static void identity_path(struct strbuf *out, const char *path)
{
	/* Tagged and NUL-terminated, so no two path lists give one identity. */
	if (!path) {
		sb_putc(out, '-');
		return;
	}
	sb_putc(out, '+');
	sb_append(out, path, strlen(path) + 1);
}

void reader_view_identity(const struct reader_view *v, struct strbuf *out)
{
	sb_putc(out, v->host_pidns ? '1' : '0');
	sb_putc(out, '|');
	sb_put_u64(out, v->start_ticks, 0);
	sb_putc(out, '|');
	for (int c = 0; c < CG_NR_CONTROLLERS; c++)
		identity_path(out, v->cg.v1[c]);
	identity_path(out, v->cg.v2);
}

bool reader_peek(pid_t reader, struct strbuf *identity, pid_t *pid)
{
	if (reader <= 0 || !trust_ns)
		return false;
	uint64_t now = monotonic_ns();
	struct trust_shard *sh = trust_shard_of(reader);
	bool hit = false;

	pthread_mutex_lock(&sh->lock);
	for (int j = 0; !hit && j < TRUST_SLOTS; j++) {
		struct trusted *t = &sh->slot[j];
		if (t->pid != reader || t->view.as_of_ns + trust_window() <= now)
			continue;
		sb_append(identity, t->identity.buf, t->identity.len);
		*pid = t->view.pid;
		hit = true;
	}
	pthread_mutex_unlock(&sh->lock);
	return hit;
}

static int resolve_afresh(pid_t reader, struct reader_view *out);

int reader_resolve(pid_t reader, struct reader_view *out)
{
	memset(out, 0, sizeof(*out));
	if (reader <= 0)
		return -ESRCH; /* the reader is not visible from our pid namespace */
	uint64_t now = monotonic_ns();
	if (trust_ns && trust_get(reader, now, out))
		return 0;
	int r = resolve_afresh(reader, out);
	if (r == 0) {
		out->as_of_ns = now;
		trust_put(reader, out);
	}
	return r;
}

static int resolve_afresh(pid_t reader, struct reader_view *out)
{
	ino_t ns = pidns_of_pid(reader);
	if (!ns)
		return -ESRCH;
	out->host_pidns = ns == rd.own_pidns;
	if (out->host_pidns) {
		/* The host's processes: their own cgroup; uptime is the host's. */
		out->pid = reader;
		return read_paths(reader, &out->cg);
	}

	/* The init gives the container's age in every mode, and its cgroup in
	 * the default one. Two tries: a cached init may die between validation
	 * and the read of its cgroup file; then the new init is looked up. */
	pid_t cg_owner = rd.rule == VIEW_FROM_READER ? reader : 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct init_entry *e = lookup_init(reader, ns, !cg_owner);
		if (!e)
			return -ESRCH;
		int r;
		bool same;
		if (!cg_owner && e->cg_fd >= 0) {
			/* The kept file fails once its process is gone. */
			r = read_kept_paths(e, &out->cg);
			same = r == 0;
		} else {
			r = read_paths(cg_owner ? cg_owner : e->pid, &out->cg);
			/* Checked after the read: what was read belongs to the cached process. */
			same = entry_alive(e);
		}
		if (r == 0 && same) {
			out->pid = cg_owner ? cg_owner : e->pid;
			out->start_ticks = e->start_ticks;
			entry_put(e);
			return 0;
		}
		cg_paths_free(&out->cg);
		if (cg_owner && r < 0) {
			entry_put(e);
			return r; /* the reader itself is gone */
		}
		cache_drop(e);
	}
	return -ESRCH;
}

void reader_view_free(struct reader_view *v)
{
	cg_paths_free(&v->cg);
}
