#include "agent/agent.h"
#include "agent/caller_mem.h"
#include "agent/channel.h"
#include "agent/sysinfo.h"
#include "fs/files.h"
#include "metrics/metrics.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/thread.h"
#include "view/cpuview.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
/* A listener thread's stack: a render (files_sysinfo) and a mask deep. */
#define LISTENER_STACK (256 << 10)
/* Takes a listener thread out of its ioctl (EINTR) when the agent stops;
 * the request loop's threads have SIGRTMIN. */
#define AGENT_WAKE_SIGNAL (SIGRTMIN + 1)

/* A journal slot (agent/agent.h). The previous release's two slots are
 * these, unpadded; this release's are SLOT_SIZE apart, a whole number to
 * a page. */
struct journal_slot {
	_Atomic uint32_t used; /* a notification is being taken or answered */
	uint32_t pad;
	struct seccomp_notif req; /* id 0: none taken yet */
};
#define SLOT_SIZE 128
_Static_assert(sizeof(struct journal_slot) <= SLOT_SIZE && 4096 % SLOT_SIZE == 0, "slots tile a page");
_Static_assert(2 * sizeof(struct journal_slot) <= AGENT_JOURNAL_LEGACY, "the legacy slots fit");

/* A notify descriptor (a container's filter) and the thread blocked in
 * SECCOMP_IOCTL_NOTIF_RECV on it. */
struct listener {
	int fd;
	pthread_t thread;
	struct journal_slot *slot; /* NULL: no room in the journal */
	size_t slot_index;
	struct caller_mem mem; /* its thread's only */
	/* Before Linux 6.6 (no SYNC_WAKE_UP either) a thread blocked in the
	 * ioctl is not woken when its container goes: it waits in poll()
	 * first, which sees the hang-up. */
	bool poll_first;
	struct listener *next;
};

static struct {
	pthread_t thread; /* the supervisor's messages */
	bool running, use_cfs, synced;
	_Atomic bool stopping;
	unsigned parity;        /* this process's half of the journal */
	char *journal;          /* mapped, or NULL */
	size_t journal_size, per_half;
	int journal_fd;
	pthread_mutex_t lock;   /* what follows */
	bool *slot_taken;       /* [per_half], in this process's half */
	struct listener *listeners;
	int *early;             /* descriptors received before the sync */
	size_t nearly, cap;
	int channel, epoll, stop_pipe[2];
	int nr_sysinfo, nr_affinity;           /* native (x86_64) */
	int nr_sysinfo_i386, nr_affinity_i386; /* 32-bit callers on x86_64 */
} ag = { .lock = PTHREAD_MUTEX_INITIALIZER, .journal_fd = -1, .channel = -1, .epoll = -1,
	 .stop_pipe = { -1, -1 } };

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

/* Writes len bytes at the caller's address (agent/caller_mem.h): false,
 * with *why, when it cannot be written at all. */
static bool write_caller(struct listener *l, const struct seccomp_notif *req, uint64_t addr, const void *buf,
			 size_t len, int *result, enum outcome *why)
{
	switch (caller_mem_write(&l->mem, l->fd, req, addr, buf, len, result)) {
	case CALLER_WRITTEN:
		return true;
	case CALLER_GONE:
		*why = GONE;
		return false;
	case CALLER_UNWRITABLE:
		break;
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

static enum outcome do_sysinfo(struct listener *l, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
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
	if (!write_caller(l, req, req->data.args[0], buf, len, &r, &out))
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
		char *save = NULL;
		for (char *p = strtok_r(line + 6, " \t\n", &save); p; p = strtok_r(NULL, " \t\n", &save))
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

static enum outcome do_affinity(struct listener *l, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
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
	if (!write_caller(l, req, req->data.args[2], mask, (size_t)got, &r, &out))
		return out;
	answer(resp, r ? -1 : got, r);
	return ANSWERED;
}

/* The name of the call req is (of those the agent answers), for logs. */
static const char *call_name(const struct seccomp_notif *req)
{
	bool i386 = is_i386(req);
	if (req->data.nr == (i386 ? ag.nr_sysinfo_i386 : ag.nr_sysinfo))
		return "sysinfo";
	if (req->data.nr == (i386 ? ag.nr_affinity_i386 : ag.nr_affinity))
		return "sched_getaffinity";
	return "system";
}

/* Answers req (received on l's descriptor), unless its caller is gone. */
static void answer_req(struct listener *l, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	enum outcome out = CONTINUE;
	int nr = req->data.nr;
	bool i386 = is_i386(req);
	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	if (nr == (i386 ? ag.nr_sysinfo_i386 : ag.nr_sysinfo))
		out = do_sysinfo(l, req, resp);
	else if (nr == (i386 ? ag.nr_affinity_i386 : ag.nr_affinity))
		out = do_affinity(l, req, resp);
	metrics_add(MI_SECCOMP_CALLS + (out == ANSWERED    ? SECCOMP_ANSWERED
					: out == CONTINUE ? SECCOMP_REAL_CALL
							  : SECCOMP_CALLER_GONE),
		    1);
	if (out == GONE)
		return;
	if (out == CONTINUE) {
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		resp->val = 0;
		resp->error = 0;
	}
	seccomp_notify_respond(l->fd, resp);
}

static int resolve(const char *name, uint32_t arch)
{
	int nr = arch ? seccomp_syscall_resolve_name_arch(arch, name) : seccomp_syscall_resolve_name(name);
	return nr < 0 ? -1000 : nr;
}

/* The numbers answered, looked up when the first notification may come
 * (libseccomp's tables are some 50 KiB of pages a serving process with no
 * listener never touches). Control thread, before any listener starts. */
static void resolve_numbers(void)
{
	static bool resolved;
	if (resolved)
		return;
	ag.nr_sysinfo = resolve("sysinfo", 0);
	ag.nr_affinity = resolve("sched_getaffinity", 0);
	ag.nr_sysinfo_i386 = resolve("sysinfo", SCMP_ARCH_X86);
	ag.nr_affinity_i386 = resolve("sched_getaffinity", SCMP_ARCH_X86);
	resolved = true;
}

/* The journal */

static struct journal_slot *slot_at(size_t offset)
{
	return (struct journal_slot *)(ag.journal + offset);
}

static size_t half_slot_offset(unsigned parity, size_t i)
{
	return AGENT_JOURNAL_LEGACY + (parity * ag.per_half + i) * SLOT_SIZE;
}

/* A free slot of this process's half, or NULL (the journal is full). */
static struct journal_slot *take_slot(size_t *index)
{
	for (size_t i = 0; i < ag.per_half; i++)
		if (!ag.slot_taken[i]) {
			ag.slot_taken[i] = true;
			*index = i;
			return slot_at(half_slot_offset(ag.parity, i));
		}
	if (ag.journal)
		log_once("agent", "journal full", "agent: more than %zu containers' listeners: the newest are "
			 "answered without a journal slot (one a serving process dies answering waits "
			 "for a signal)", ag.per_half);
	return NULL;
}

static void take_journal(int fd)
{
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size >= AGENT_JOURNAL_LEGACY)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		log_warn("agent: cannot map its journal: %s", strerror(errno));
		close(fd);
		return;
	}
	ag.journal = m;
	ag.journal_fd = fd;
	ag.journal_size = (size_t)st.st_size;
	ag.per_half = (ag.journal_size - AGENT_JOURNAL_LEGACY) / 2 / SLOT_SIZE;
	ag.slot_taken = xcalloc(ag.per_half ? ag.per_half : 1, sizeof(*ag.slot_taken));
}

/* A notification a dead (or draining) predecessor received and may not
 * have answered: answered again, on the descriptor it came from; a
 * second answer to one already given fails harmlessly (its id is no
 * longer valid). */
static void answer_orphan(size_t offset, struct listener *any)
{
	struct seccomp_notif_resp resp; /* its size is in the ioctl's number: the header's is the kernel's */
	struct journal_slot *j = slot_at(offset);
	struct seccomp_notif req = j->req;
	resolve_numbers();
	for (size_t i = 0; req.id && i < ag.nearly; i++) /* id 0: nothing was taken */
		if (seccomp_notify_id_valid(ag.early[i], req.id) == 0) {
			log_info("agent: answering a %s call of process %u a previous serving process had taken",
				 call_name(&req), req.pid);
			metrics_add(MI_SECCOMP_ORPHANS, 1);
			any->fd = ag.early[i];
			answer_req(any, &req, &resp);
			break;
		}
	atomic_store(&j->used, 0);
}

/* Every slot in use, found by reading the memfd: a read of a page never
 * written allocates nothing, as a look through the mapping would. */
static void answer_orphans(void)
{
	struct listener any = { .fd = -1 };
	unsigned char page[4096];
	for (size_t base = 0; ag.journal && base + sizeof(page) <= ag.journal_size; base += sizeof(page)) {
		if (pread(ag.journal_fd, page, sizeof(page), (off_t)base) != (ssize_t)sizeof(page))
			break;
		size_t stride = base < AGENT_JOURNAL_LEGACY ? sizeof(struct journal_slot) : SLOT_SIZE;
		size_t count = base < AGENT_JOURNAL_LEGACY ? 2 : sizeof(page) / SLOT_SIZE;
		for (size_t i = 0; i < count; i++) {
			uint32_t used;
			memcpy(&used, page + i * stride, sizeof(used));
			if (used)
				answer_orphan(base + i * stride, &any);
		}
	}
	caller_mem_forget(&any.mem);
}

/* Listeners */

static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* The next notification, received straight into the listener's journal
 * slot: the kernel has written it there by the time the ioctl returns, so
 * a process killed at any point after taking it (a SIGKILL pending during
 * the ioctl ends the process on its way out of it) leaves it to its
 * successor. 0; -EINTR (woken), -ENOENT (its caller went away first), or
 * -EPIPE: its container is gone, nothing more will come. */
static int receive(struct listener *l, struct seccomp_notif *req)
{
	struct seccomp_notif *into = l->slot ? &l->slot->req : req;
	memset(into, 0, sizeof(*into)); /* the kernel wants it zeroed */
	if (l->slot)
		atomic_store(&l->slot->used, 1);
	int r = ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, into) == 0 ? 0 : -errno;
	if (r == 0) {
		if (into != req)
			*req = *into;
		return 0;
	}
	if (l->slot)
		atomic_store(&l->slot->used, 0);
	/* Once the filter has no task left, the ioctl returns ENOENT at once. */
	if ((r == -ENOENT && hung_up(l->fd)) || (r != -ENOENT && r != -EINTR)) {
		if (r != -ENOENT)
			log_once("agent", "recv", "agent: SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(-r));
		return -EPIPE;
	}
	return r;
}

static void end_listener(struct listener *l)
{
	pthread_mutex_lock(&ag.lock);
	for (struct listener **p = &ag.listeners; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	if (l->slot)
		ag.slot_taken[l->slot_index] = false;
	pthread_mutex_unlock(&ag.lock);
	caller_mem_forget(&l->mem);
	close(l->fd);
	free(l);
}

static void *listener_thread(void *arg)
{
	struct listener *l = arg;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	pthread_detach(pthread_self());
	/* Named for operators (top -H, /proc/PID/task/TID/comm): one per
	 * container whose notify descriptor the agent holds. */
	pthread_setname_np(pthread_self(), "seccomp-listen");
	thread_unblock(AGENT_WAKE_SIGNAL);
	if (seccomp_notify_alloc(&req, &resp) != 0) {
		log_err("agent: cannot allocate notification buffers");
		end_listener(l);
		return NULL;
	}
	while (!atomic_load(&ag.stopping)) {
		if (l->poll_first) {
			struct pollfd p = { .fd = l->fd, .events = POLLIN };
			if (poll(&p, 1, -1) < 0)
				continue; /* EINTR: a stop */
			if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
				break;
		}
		int r = receive(l, req);
		if (r == -EPIPE)
			break;
		if (r < 0)
			continue;
		answer_req(l, req, resp);
		if (l->slot)
			atomic_store(&l->slot->used, 0);
	}
	seccomp_notify_free(req, resp);
	end_listener(l);
	return NULL;
}

static void start_listener(int fd)
{
	/* A call is then a hand-over between two threads on the caller's CPU
	 * (agent/agent.h). Older kernels: EINVAL, and the usual wake-ups. */
	resolve_numbers();
	bool sync = ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
	struct listener *l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->poll_first = !sync;
	pthread_mutex_lock(&ag.lock);
	l->slot = take_slot(&l->slot_index);
	/* Linked before it runs: a thread that ends at once unlinks itself
	 * under the lock. */
	int r = thread_start(&l->thread, LISTENER_STACK, listener_thread, l);
	if (r == 0) {
		l->next = ag.listeners;
		ag.listeners = l;
	} else if (l->slot) {
		ag.slot_taken[l->slot_index] = false;
	}
	pthread_mutex_unlock(&ag.lock);
	if (r) {
		log_warn("agent: cannot start a listener thread: %s; that container's calls wait for the "
			 "next serving process", strerror(r));
		close(fd);
		free(l);
	}
}

/* Wakes every listener thread until none is left (one between its look at
 * `stopping` and its ioctl when the signal comes needs another). */
static void stop_listeners(void)
{
	atomic_store(&ag.stopping, true);
	for (;;) {
		pthread_mutex_lock(&ag.lock);
		bool any = ag.listeners != NULL;
		for (struct listener *l = ag.listeners; l; l = l->next)
			pthread_kill(l->thread, AGENT_WAKE_SIGNAL);
		pthread_mutex_unlock(&ag.lock);
		if (!any)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}

/* The supervisor's messages */

/* Every descriptor the supervisor held when this process started has
 * come: what predecessors left unanswered is answered before any listener
 * takes something new (a new one would go into this process's half of the
 * journal, which may still hold what a dead predecessor of the same
 * parity left). */
static void synchronize(void)
{
	answer_orphans();
	ag.synced = true;
	for (size_t i = 0; i < ag.nearly; i++)
		start_listener(ag.early[i]);
	free(ag.early);
	ag.early = NULL;
	ag.nearly = ag.cap = 0;
}

static void keep_early(int fd)
{
	if (ag.nearly == ag.cap) {
		ag.cap = ag.cap ? 2 * ag.cap : 16;
		ag.early = xrealloc(ag.early, ag.cap * sizeof(*ag.early));
	}
	ag.early[ag.nearly++] = fd;
}

/* One message from the supervisor: its tag, or a negative errno. */
static int from_supervisor(void)
{
	int fd;
	int tag = channel_recv(ag.channel, &fd);
	if (tag == -EPIPE) { /* a newer serving process has the channel: keep what we have */
		epoll_ctl(ag.epoll, EPOLL_CTL_DEL, ag.channel, NULL);
		close(ag.channel);
		ag.channel = -1;
		return tag;
	}
	if (tag == CHANNEL_JOURNAL && fd >= 0 && !ag.journal)
		take_journal(fd);
	else if (tag == CHANNEL_NOTIFY && fd >= 0 && !ag.synced)
		keep_early(fd);
	else if (tag == CHANNEL_NOTIFY && fd >= 0)
		start_listener(fd);
	else if (tag == CHANNEL_SYNCED && !ag.synced)
		synchronize();
	else if (fd >= 0)
		close(fd);
	return tag;
}

static void *control_thread(void *arg)
{
	(void)arg;
	int tag;
	do
		tag = from_supervisor();
	while (tag >= 0 && tag != CHANNEL_SYNCED);
	if (!ag.synced) /* the supervisor is gone: what came is all there is */
		synchronize();
	for (;;) {
		struct epoll_event ev[4];
		int n = epoll_wait(ag.epoll, ev, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == ag.stop_pipe[0])
				return NULL;
			if (ev[i].data.fd == ag.channel)
				from_supervisor();
		}
	}
	return NULL;
}

static bool watch(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	if (epoll_ctl(ag.epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("agent: cannot watch a descriptor: %s", strerror(errno));
		return false;
	}
	return true;
}


int agent_start(int channel, bool use_cfs, uint32_t generation)
{
	ag.use_cfs = use_cfs;
	ag.parity = generation % 2;
	ag.epoll = epoll_create1(EPOLL_CLOEXEC);
	if (ag.epoll < 0 || pipe2(ag.stop_pipe, O_CLOEXEC) < 0)
		return -errno;
	ag.channel = channel;
	if (!watch(ag.stop_pipe[0]) || !watch(channel))
		return -EIO;
	thread_wake_signal(AGENT_WAKE_SIGNAL);
	int r = thread_start(&ag.thread, 0, control_thread, NULL);
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
	stop_listeners();
	ag.running = false;
	close(ag.epoll);
	close(ag.stop_pipe[0]);
	close(ag.stop_pipe[1]);
	if (ag.channel >= 0)
		close(ag.channel);
	ag.channel = ag.epoll = -1;
	for (size_t i = 0; i < ag.nearly; i++)
		close(ag.early[i]);
	free(ag.early);
	ag.early = NULL;
	ag.nearly = ag.cap = 0;
	if (ag.journal) {
		munmap(ag.journal, ag.journal_size);
		close(ag.journal_fd);
	}
	ag.journal = NULL;
	ag.journal_fd = -1;
	free(ag.slot_taken);
	ag.slot_taken = NULL;
	ag.synced = false;
	atomic_store(&ag.stopping, false);
}
