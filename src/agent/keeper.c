#include "agent/keeper.h"
#include "agent/agent.h"
#include "agent/channel.h"
#include "metrics/metrics.h"
#include "serve/fdstore.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/thread.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The container process state a runtime sends is small; this bounds it. */
#define STATE_MAX (64 << 10)
#define FDS_MAX 8

static struct {
	pthread_mutex_t lock;
	pthread_t thread;
	bool running;
	char *path;
	int listen_fd, wake[2];
	int channel;   /* the supervisor's end for the current serving process */
	int journal;   /* memfd: notifications being answered (agent/agent.h) */
	struct kept {
		int fd;
		unsigned serial; /* its name in systemd's store: cviewfs-seccomp-fd-SERIAL */
	} *held;       /* notify descriptors */
	size_t n, cap;
	unsigned next_serial;
} kp = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1, .wake = { -1, -1 }, .channel = -1,
	  .journal = -1 };

#define STORE_PREFIX "cviewfs-seccomp-"

static char *store_name(unsigned serial)
{
	return xasprintf(STORE_PREFIX "fd-%u", serial);
}

/* kp.n changed (or the metrics were attached): the gauge follows. Called
 * with kp.lock held. */
static void count_held(void)
{
	metrics_set(MI_SECCOMP_CONTAINERS, kp.n);
}

/* Keeps fd (under serial, or a new one when 0), in the store too unless
 * it came from there. */
static void hold(int fd, unsigned serial, bool stored)
{
	pthread_mutex_lock(&kp.lock);
	if (kp.n == kp.cap) {
		kp.cap = kp.cap ? 2 * kp.cap : 16;
		kp.held = xrealloc(kp.held, kp.cap * sizeof(*kp.held));
	}
	if (!serial)
		serial = ++kp.next_serial;
	else if (serial > kp.next_serial)
		kp.next_serial = serial;
	kp.held[kp.n++] = (struct kept){ fd, serial };
	count_held();
	if (!stored) {
		char *name = store_name(serial);
		fdstore_put_one(fd, name);
		free(name);
	}
	if (kp.channel >= 0 && channel_send(kp.channel, CHANNEL_NOTIFY, fd) < 0)
		log_warn("seccomp agent: cannot pass a notify descriptor to the serving process: %s",
			 strerror(errno));
	pthread_mutex_unlock(&kp.lock);
}

/* Which of the passed descriptors is the notify one: the index of
 * "seccompFd" in the state's "fds" (OCI runtime spec). -1 if none. */
static int seccomp_fd_index(const char *state, size_t len, char *who, size_t who_len)
{
	json_error_t e;
	json_t *root = json_loadb(state, len, 0, &e);
	int idx = -1;
	if (!root)
		return -1;
	json_t *fds = json_object_get(root, "fds");
	size_t i;
	json_t *v;
	json_array_foreach(fds, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), "seccompFd"))
			idx = (int)i;
	const char *id = json_string_value(json_object_get(json_object_get(root, "state"), "id"));
	json_int_t pid = json_integer_value(json_object_get(root, "pid"));
	snprintf(who, who_len, "container %s, process %lld", id ? id : "(no id)", (long long)pid);
	json_decref(root);
	return idx;
}

/* One runtime's connection: the state and the descriptors, in one message. */
static void take_connection(int conn)
{
	char *state = xmalloc(STATE_MAX);
	struct iovec iov = { .iov_base = state, .iov_len = STATE_MAX };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t len = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	int fds[FDS_MAX], nfds = 0;
	for (struct cmsghdr *c = len > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t j = 0; j < k && nfds < FDS_MAX; j++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + j * sizeof(int), sizeof(int));
	}
	char who[160] = "";
	int idx = len > 0 ? seccomp_fd_index(state, (size_t)len, who, sizeof(who)) : -1;
	if (idx < 0 || idx >= nfds) {
		log_warn("seccomp agent: a connection without a container state naming its seccompFd "
			 "(%zd bytes, %d descriptors): ignored", len, nfds);
	} else {
		log_info("seccomp agent: answering for %s", who);
		hold(fds[idx], 0, false);
	}
	for (int j = 0; j < nfds; j++)
		if (j != idx)
			close(fds[j]);
	free(state);
}

/* The descriptors of containers that are gone (HUP) are closed. */
static void drop_hung(const struct pollfd *p, size_t n)
{
	pthread_mutex_lock(&kp.lock);
	for (size_t i = 0; i < n; i++) {
		if (!(p[i].revents & (POLLHUP | POLLERR | POLLNVAL)))
			continue;
		for (size_t j = 0; j < kp.n; j++)
			if (kp.held[j].fd == p[i].fd) {
				char *name = store_name(kp.held[j].serial);
				fdstore_remove_one(name);
				free(name);
				close(kp.held[j].fd);
				kp.held[j] = kp.held[--kp.n];
				count_held();
				break;
			}
	}
	pthread_mutex_unlock(&kp.lock);
}

static void *keeper_thread(void *arg)
{
	(void)arg;
	struct pollfd *p = NULL;
	size_t cap = 0;
	for (;;) {
		pthread_mutex_lock(&kp.lock);
		size_t n = kp.n + 2;
		if (n > cap) {
			cap = n * 2;
			p = xrealloc(p, cap * sizeof(*p));
		}
		p[0] = (struct pollfd){ .fd = kp.wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = kp.listen_fd, .events = POLLIN };
		for (size_t i = 0; i < kp.n; i++)
			p[i + 2] = (struct pollfd){ .fd = kp.held[i].fd, .events = 0 }; /* HUP only */
		pthread_mutex_unlock(&kp.lock);
		int r = poll(p, n, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || p[0].revents)
			break;
		if (p[1].revents & POLLIN) {
			int conn = accept4(kp.listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (conn >= 0) {
				take_connection(conn);
				close(conn);
			}
		}
		drop_hung(p + 2, n - 2);
	}
	free(p);
	return NULL;
}

/* A socket file nobody listens at any more (a killed daemon's) is
 * replaced; a live one is not taken over. */
static int listen_at(const char *path, struct strbuf *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path)) {
		sb_printf(err, "seccomp socket path too long: %s", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sb_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		sb_printf(err, "another process already listens at %s", path);
		close(fd);
		return -1;
	}
	unlink(path);
	mode_t old = umask(077); /* root's runtimes only */
	int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		sb_printf(err, "cannot listen at %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* "listen=5,journal=6,held=7/1:8/2:9/4" (descriptor/serial) */
static bool adopt(const char *spec)
{
	int fd, journal;
	const char *held = strstr(spec, "held=");
	if (sscanf(spec, "listen=%d,journal=%d", &fd, &journal) != 2 || fd < 0 || fcntl(fd, F_GETFD) < 0 ||
	    journal < 0 || fcntl(journal, F_GETFD) < 0)
		return false;
	kp.listen_fd = fd;
	kp.journal = journal;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(journal, F_SETFD, FD_CLOEXEC);
	for (const char *p = held ? held + 5 : ""; *p;) {
		char *end;
		long v = strtol(p, &end, 10), serial = 0;
		if (end == p)
			break;
		if (*end == '/')
			serial = strtol(end + 1, &end, 10);
		if (v >= 0 && serial > 0 && fcntl((int)v, F_GETFD) >= 0) {
			fcntl((int)v, F_SETFD, FD_CLOEXEC);
			hold((int)v, (unsigned)serial, true);
		}
		p = *end == ':' ? end + 1 : end;
	}
	return true;
}

/* What systemd's store kept of a supervisor that was killed. */
static bool adopt_stored(void)
{
	int *fds;
	char **names;
	size_t n = fdstore_take_named(STORE_PREFIX, &fds, &names);
	int listen_fd = -1, journal = -1;
	for (size_t i = 0; i < n; i++) {
		unsigned serial;
		if (!strcmp(names[i], STORE_PREFIX "listen"))
			listen_fd = fds[i];
		else if (!strcmp(names[i], STORE_PREFIX "journal"))
			journal = fds[i];
		else if (sscanf(names[i], STORE_PREFIX "fd-%u", &serial) == 1 && serial)
			hold(fds[i], serial, true);
		else
			close(fds[i]);
		free(names[i]);
	}
	free(fds);
	free(names);
	if (n)
		log_info("seccomp agent: took %zu descriptors back from systemd's descriptor store", n);
	if (listen_fd < 0 || journal < 0) {
		if (listen_fd >= 0)
			close(listen_fd);
		if (journal >= 0)
			close(journal);
		return false;
	}
	kp.listen_fd = listen_fd;
	kp.journal = journal;
	return true;
}

/* A journal adopted from an older release may be smaller than this one's
 * layout: its end is zeroes (no notification), so growing it keeps what
 * it holds. */
static void grow_journal(void)
{
	struct stat st;
	if (fstat(kp.journal, &st) == 0 && st.st_size < AGENT_JOURNAL_SIZE &&
	    ftruncate(kp.journal, AGENT_JOURNAL_SIZE) < 0)
		log_warn("seccomp agent: cannot grow its journal: %s", strerror(errno));
}

int keeper_start(const char *path, struct strbuf *err)
{
	const char *spec = getenv(KEEPER_ENV);
	kp.path = xstrdup(path);
	if (!(spec && adopt(spec)) && !adopt_stored()) {
		if ((kp.listen_fd = listen_at(path, err)) < 0)
			return -1;
		kp.journal = memfd_create("cviewfs-agent-journal", MFD_CLOEXEC);
		if (kp.journal < 0 || ftruncate(kp.journal, AGENT_JOURNAL_SIZE) < 0) {
			sb_printf(err, "the seccomp agent's journal: %s", strerror(errno));
			return -1;
		}
		fdstore_put_one(kp.listen_fd, STORE_PREFIX "listen");
		fdstore_put_one(kp.journal, STORE_PREFIX "journal");
	}
	unsetenv(KEEPER_ENV);
	grow_journal();
	if (pipe2(kp.wake, O_CLOEXEC) < 0) {
		sb_printf(err, "pipe: %s", strerror(errno));
		return -1;
	}
	int r = thread_start(&kp.thread, 0, keeper_thread, NULL);
	if (r) {
		sb_printf(err, "cannot start the seccomp agent's thread: %s", strerror(r));
		return -1;
	}
	kp.running = true;
	return 0;
}

int keeper_channel(void)
{
	if (!kp.running)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("seccomp agent: socketpair: %s", strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&kp.lock);
	count_held(); /* the metrics may have been attached since */
	if (kp.channel >= 0)
		close(kp.channel);
	kp.channel = sv[0];
	/* The journal first, then every descriptor, then the mark after
	 * which the agent answers what a predecessor left unanswered. */
	bool sent = channel_send(kp.channel, CHANNEL_JOURNAL, kp.journal) == 0;
	for (size_t i = 0; sent && i < kp.n; i++)
		sent = channel_send(kp.channel, CHANNEL_NOTIFY, kp.held[i].fd) == 0;
	if (!sent || channel_send(kp.channel, CHANNEL_SYNCED, -1) < 0)
		log_warn("seccomp agent: cannot pass the notify descriptors to the serving process: %s",
			 strerror(errno));
	pthread_mutex_unlock(&kp.lock);
	return sv[1];
}

void keeper_prepare_exec(void)
{
	if (!kp.running)
		return;
	struct strbuf spec = STRBUF_INIT;
	pthread_mutex_lock(&kp.lock);
	fcntl(kp.listen_fd, F_SETFD, 0);
	fcntl(kp.journal, F_SETFD, 0);
	sb_printf(&spec, "listen=%d,journal=%d,held=", kp.listen_fd, kp.journal);
	for (size_t i = 0; i < kp.n; i++) {
		fcntl(kp.held[i].fd, F_SETFD, 0);
		sb_printf(&spec, "%s%d/%u", i ? ":" : "", kp.held[i].fd, kp.held[i].serial);
	}
	/* Held until exec: no descriptor is added or dropped meanwhile. */
	setenv(KEEPER_ENV, sb_str(&spec), 1);
	sb_free(&spec);
}

void keeper_exec_failed(void)
{
	if (!kp.running)
		return;
	unsetenv(KEEPER_ENV);
	fcntl(kp.listen_fd, F_SETFD, FD_CLOEXEC);
	fcntl(kp.journal, F_SETFD, FD_CLOEXEC);
	for (size_t i = 0; i < kp.n; i++)
		fcntl(kp.held[i].fd, F_SETFD, FD_CLOEXEC);
	pthread_mutex_unlock(&kp.lock);
}

void keeper_stop(void)
{
	if (!kp.running)
		return;
	if (write(kp.wake[1], "x", 1) != 1)
		log_warn("seccomp agent: cannot stop its thread: %s", strerror(errno));
	pthread_join(kp.thread, NULL);
	kp.running = false;
	close(kp.listen_fd);
	unlink(kp.path);
	/* Stopped on purpose: the store forgets them with the rest. */
	fdstore_remove_one(STORE_PREFIX "listen");
	fdstore_remove_one(STORE_PREFIX "journal");
	for (size_t i = 0; i < kp.n; i++) {
		char *name = store_name(kp.held[i].serial);
		fdstore_remove_one(name);
		free(name);
	}
}

unsigned keeper_count(void)
{
	pthread_mutex_lock(&kp.lock);
	unsigned n = (unsigned)kp.n;
	pthread_mutex_unlock(&kp.lock);
	return n;
}
