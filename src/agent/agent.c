#include "agent/agent.h"
#include "agent/channel.h"
#include "agent/sysinfo.h"
#include "fs/files.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "view/cpuview.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux 6.6: the caller and the agent woken on the same CPU, each handing
 * it to the other (the headers of older systems lack it). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* The largest affinity mask handled (bytes): 65536 CPUs. */
#define AFFINITY_MAX 8192

struct journal_slot {
	_Atomic uint32_t used;
	uint32_t pad;
	struct seccomp_notif req;
};
_Static_assert(2 * sizeof(struct journal_slot) <= AGENT_JOURNAL_SIZE, "two journal slots fit");

static struct {
	pthread_t thread;
	bool running, use_cfs;
	struct journal_slot *journal; /* [2], or NULL */
	unsigned slot;                /* this process's */
	int *notify;                  /* the notify descriptors watched */
	size_t nnotify, cap;
	int channel, epoll, stop_pipe[2];
	int nr_sysinfo, nr_affinity;           /* native (x86_64) */
	int nr_sysinfo_i386, nr_affinity_i386; /* 32-bit callers on x86_64 */
} ag = { .channel = -1, .epoll = -1, .stop_pipe = { -1, -1 } };

/* How a notification ends. */
enum outcome {
	ANSWERED, /* resp holds the result */
	CONTINUE, /* the real call runs */
	GONE,     /* the caller is gone: no answer */
};

static bool is_i386(const struct seccomp_notif *req)
{
	return req->data.arch == AUDIT_ARCH_I386;
}

/* The callers' memory: /proc/TID/mem, kept for a thread's next calls. A
 * descriptor of it writes only into the address space it was opened on:
 * once its process has exec'd or exited (its tid perhaps reused since),
 * writes through it come back empty and it is opened afresh. Every open
 * is followed by a check that the notification is still pending
 * (ID_VALID), so the tid is still the caller's. Agent thread only. */
#define MEM_CACHE 64
static struct {
	unsigned pid;
	int fd; /* 0: none */
} mem_cache[MEM_CACHE];
static unsigned mem_next;

static int cached_mem(unsigned pid)
{
	for (int i = 0; i < MEM_CACHE; i++)
		if (mem_cache[i].fd > 0 && mem_cache[i].pid == pid)
			return mem_cache[i].fd;
	return -1;
}

static void forget_mem(unsigned pid)
{
	for (int i = 0; i < MEM_CACHE; i++)
		if (mem_cache[i].fd > 0 && mem_cache[i].pid == pid) {
			close(mem_cache[i].fd);
			mem_cache[i].fd = 0;
		}
}

/* The caller's memory, opened (again) if need be; -1 with *why when the
 * notification is no longer pending (GONE) or nothing can be opened. */
static int caller_mem(int notify_fd, const struct seccomp_notif *req, bool fresh, enum outcome *why)
{
	if (fresh)
		forget_mem(req->pid);
	int fd = cached_mem(req->pid);
	if (fd < 0) {
		char path[32];
		snprintf(path, sizeof(path), "/proc/%u/mem", req->pid);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd > 0) {
			unsigned slot = mem_next++ % MEM_CACHE;
			if (mem_cache[slot].fd > 0)
				close(mem_cache[slot].fd);
			mem_cache[slot].pid = req->pid;
			mem_cache[slot].fd = fd;
		}
	}
	if (seccomp_notify_id_valid(notify_fd, req->id) != 0) {
		*why = GONE;
		return -1;
	}
	if (fd <= 0) {
		*why = CONTINUE;
		return -1;
	}
	return fd;
}

/* Writes len bytes at the caller's address: 0, or -EFAULT for a bad
 * address as the kernel would; false (with *why) when it cannot be
 * written at all. */
static bool write_caller(int notify_fd, const struct seccomp_notif *req, uint64_t addr, const void *buf,
			 size_t len, int *result, enum outcome *why)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = caller_mem(notify_fd, req, attempt > 0, why);
		if (fd < 0)
			return false;
		if (!addr) {
			*result = -EFAULT;
			return true;
		}
		ssize_t n = pwrite(fd, buf, len, (off_t)addr);
		if (n == (ssize_t)len || (n < 0 && errno == EIO)) { /* EIO: an address not mapped */
			*result = n == (ssize_t)len ? 0 : -EFAULT;
			return true;
		}
		/* 0: the address space it was opened on is gone */
	}
	*why = CONTINUE;
	return false;
}

static void answer(struct seccomp_notif_resp *resp, int64_t val, int error)
{
	resp->flags = 0;
	resp->val = val;
	resp->error = error;
}

static enum outcome do_sysinfo(int notify_fd, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	struct sysinfo_values v;
	enum outcome out = CONTINUE;
	int r = files_sysinfo((pid_t)req->pid, &v);
	if (r < 0) {
		if (r != -EAGAIN)
			log_once("agent", "sysinfo", "sysinfo of process %u: its container's values cannot be "
				 "read (%s); the real call answers", req->pid, strerror(-r));
		return CONTINUE;
	}
	unsigned char buf[SYSINFO_LAYOUT_MAX];
	size_t len = sysinfo_layout(&v, is_i386(req), buf);
	if (!write_caller(notify_fd, req, req->data.args[0], buf, len, &r, &out))
		return out;
	answer(resp, r ? -1 : 0, r);
	return ANSWERED;
}

/* The caller's own id for itself in its pid namespace (the last NSpid). */
static long own_tid(unsigned pid)
{
	char path[32], line[256];
	long tid = -1;
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		for (char *p = strtok(line + 6, " \t\n"); p; p = strtok(NULL, " \t\n"))
			tid = strtol(p, NULL, 10);
		break;
	}
	fclose(f);
	return tid;
}

/* Keeps the first n CPUs set in mask (len bytes), clears the rest. */
static void keep_first_cpus(unsigned char *mask, size_t len, unsigned n)
{
	for (size_t byte = 0; byte < len; byte++)
		for (int bit = 0; bit < 8; bit++)
			if (mask[byte] & (1u << bit)) {
				if (n)
					n--;
				else
					mask[byte] &= (unsigned char)~(1u << bit);
			}
}

static enum outcome do_affinity(int notify_fd, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	/* Only the caller's own mask: pid 0 or its own id. */
	int32_t pid = (int32_t)req->data.args[0];
	uint64_t len = is_i386(req) ? (uint32_t)req->data.args[1] : req->data.args[1];
	if (!ag.use_cfs || (pid != 0 && pid != own_tid(req->pid)) || len == 0 || len > AFFINITY_MAX)
		return CONTINUE;
	unsigned char mask[AFFINITY_MAX];
	/* The kernel's own answer for that length (bytes written, or an
	 * error the real call gives the caller too). */
	long got = syscall(SYS_sched_getaffinity, (pid_t)req->pid, (size_t)len, mask);
	if (got <= 0)
		return CONTINUE;
	struct cpu_view view = CPU_VIEW_INIT;
	files_cpu_view((pid_t)req->pid, &view);
	keep_first_cpus(mask, (size_t)got, view.n);
	cpu_view_free(&view);
	enum outcome out = CONTINUE;
	int r;
	if (!write_caller(notify_fd, req, req->data.args[2], mask, (size_t)got, &r, &out))
		return out;
	answer(resp, r ? -1 : got, r);
	return ANSWERED;
}

/* Answers req (received on notify_fd), unless its caller is gone. */
static void answer_req(int notify_fd, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	enum outcome out = CONTINUE;
	int nr = req->data.nr;
	bool i386 = is_i386(req);
	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	if (nr == (i386 ? ag.nr_sysinfo_i386 : ag.nr_sysinfo))
		out = do_sysinfo(notify_fd, req, resp);
	else if (nr == (i386 ? ag.nr_affinity_i386 : ag.nr_affinity))
		out = do_affinity(notify_fd, req, resp);
	if (out == GONE)
		return;
	if (out == CONTINUE) {
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		resp->val = 0;
		resp->error = 0;
	}
	seccomp_notify_respond(notify_fd, resp);
}

/* The notification is received straight into this process's journal
 * slot: the kernel has written it there by the time the ioctl returns, so
 * a process killed at any point after taking it (a SIGKILL pending during
 * the ioctl ends the process on its way out of it) leaves it to its
 * successor. */
static void handle_one(int notify_fd, struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	struct journal_slot *j = ag.journal ? &ag.journal[ag.slot] : NULL;
	struct seccomp_notif *into = j ? &j->req : req;
	memset(into, 0, sizeof(*into)); /* the kernel wants it zeroed */
	if (j)
		atomic_store(&j->used, 1);
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, into) != 0) {
		if (j)
			atomic_store(&j->used, 0);
		return; /* the caller went away meanwhile (ENOENT) */
	}
	*req = *into;
	answer_req(notify_fd, req, resp);
	if (j)
		atomic_store(&j->used, 0);
}

/* What a dead (or draining) predecessor received and may not have
 * answered: answered again; a second answer to one already given fails
 * harmlessly (its id is no longer valid). */
static void answer_orphans(struct seccomp_notif_resp *resp)
{
	for (unsigned s = 0; ag.journal && s < 2; s++) {
		struct journal_slot *j = &ag.journal[s];
		if (!atomic_load(&j->used))
			continue;
		struct seccomp_notif req = j->req;
		for (size_t i = 0; req.id && i < ag.nnotify; i++) /* id 0: nothing was taken */
			if (seccomp_notify_id_valid(ag.notify[i], req.id) == 0) {
				log_info("agent: answering a %s call of process %u a previous serving process "
					 "had taken", req.data.nr == ag.nr_sysinfo ? "sysinfo" : "system", req.pid);
				answer_req(ag.notify[i], &req, resp);
				break;
			}
		atomic_store(&j->used, 0);
	}
}

static void take_journal(int fd)
{
	void *m = mmap(NULL, AGENT_JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		log_warn("agent: cannot map its journal: %s", strerror(errno));
		return;
	}
	ag.journal = m;
}

static bool watch(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	if (epoll_ctl(ag.epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("agent: cannot watch a descriptor: %s", strerror(errno));
		close(fd);
		return false;
	}
	return true;
}

static void watch_notify(int fd)
{
	/* A call is a round trip between two threads: on one CPU it is a
	 * hand-over rather than two wake-ups. Older kernels: EINVAL, and
	 * the usual wake-ups. */
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	if (!watch(fd))
		return;
	if (ag.nnotify == ag.cap) {
		ag.cap = ag.cap ? 2 * ag.cap : 16;
		ag.notify = xrealloc(ag.notify, ag.cap * sizeof(*ag.notify));
	}
	ag.notify[ag.nnotify++] = fd;
}

static void forget(int fd)
{
	epoll_ctl(ag.epoll, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	for (size_t i = 0; i < ag.nnotify; i++)
		if (ag.notify[i] == fd) {
			ag.notify[i] = ag.notify[--ag.nnotify];
			break;
		}
}

/* One message from the supervisor: its tag, or a negative errno. */
static int from_supervisor(struct seccomp_notif_resp *resp)
{
	int fd;
	int tag = channel_recv(ag.channel, &fd);
	if (tag == -EPIPE) { /* a newer serving process has the channel: keep what we have */
		epoll_ctl(ag.epoll, EPOLL_CTL_DEL, ag.channel, NULL);
		close(ag.channel);
		ag.channel = -1;
		return tag;
	}
	if (tag == CHANNEL_JOURNAL && fd >= 0)
		take_journal(fd);
	else if (tag == CHANNEL_NOTIFY && fd >= 0)
		watch_notify(fd);
	else if (tag == CHANNEL_SYNCED)
		answer_orphans(resp);
	else if (fd >= 0)
		close(fd);
	return tag;
}

static void *agent_thread(void *arg)
{
	(void)arg;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	if (seccomp_notify_alloc(&req, &resp) != 0) {
		log_err("agent: cannot allocate notification buffers");
		return NULL;
	}
	/* Everything the supervisor queued (the journal, every descriptor)
	 * and the orphans answered before any new notification is taken: a
	 * new one would go into this process's journal slot, which may still
	 * hold what a dead predecessor of the same parity left. */
	int tag;
	do
		tag = from_supervisor(resp);
	while (tag >= 0 && tag != CHANNEL_SYNCED);
	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(ag.epoll, ev, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == ag.stop_pipe[0])
				goto out;
			if (fd == ag.channel) {
				from_supervisor(resp);
				continue;
			}
			if (ev[i].events & EPOLLIN)
				handle_one(fd, req, resp);
			else if (ev[i].events & (EPOLLHUP | EPOLLERR))
				forget(fd); /* its container is gone */
		}
	}
out:
	seccomp_notify_free(req, resp);
	return NULL;
}

static int resolve(const char *name, uint32_t arch)
{
	int nr = arch ? seccomp_syscall_resolve_name_arch(arch, name) : seccomp_syscall_resolve_name(name);
	return nr < 0 ? -1000 : nr;
}

int agent_start(int channel, bool use_cfs, uint32_t generation)
{
	ag.use_cfs = use_cfs;
	ag.slot = generation % 2;
	ag.nr_sysinfo = resolve("sysinfo", 0);
	ag.nr_affinity = resolve("sched_getaffinity", 0);
	ag.nr_sysinfo_i386 = resolve("sysinfo", SCMP_ARCH_X86);
	ag.nr_affinity_i386 = resolve("sched_getaffinity", SCMP_ARCH_X86);
	ag.epoll = epoll_create1(EPOLL_CLOEXEC);
	if (ag.epoll < 0 || pipe2(ag.stop_pipe, O_CLOEXEC) < 0)
		return -errno;
	ag.channel = channel;
	watch(ag.stop_pipe[0]);
	watch(channel);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&ag.thread, NULL, agent_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return -r;
	ag.running = true;
	return 0;
}

void agent_stop(void)
{
	if (!ag.running)
		return;
	if (write(ag.stop_pipe[1], "x", 1) != 1)
		log_warn("agent: cannot stop its thread: %s", strerror(errno));
	pthread_join(ag.thread, NULL);
	ag.running = false;
	close(ag.epoll);
	close(ag.stop_pipe[0]);
	close(ag.stop_pipe[1]);
	if (ag.channel >= 0)
		close(ag.channel);
	ag.channel = ag.epoll = -1;
	for (int i = 0; i < MEM_CACHE; i++)
		if (mem_cache[i].fd > 0)
			close(mem_cache[i].fd);
	memset(mem_cache, 0, sizeof(mem_cache));
	if (ag.journal)
		munmap(ag.journal, AGENT_JOURNAL_SIZE);
	ag.journal = NULL;
	free(ag.notify);
	ag.notify = NULL;
	ag.nnotify = ag.cap = 0;
	/* The notify descriptors still watched close with the process. */
}
