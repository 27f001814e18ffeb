/* Counting a v1 cgroup's runnable and uninterruptible threads through the
 * kernel's taskstats netlink family (CGROUPSTATS_CMD_GET): one round trip
 * per cgroup instead of one /proc read per thread, which is what keeps the
 * load-average sampler cheap at a thousand containers. v1 only: the kernel
 * refuses cgroup2 directories, and callers then count through /proc. */
#include "cgroup/cgroup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/cgroupstats.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 16

/* Room for one small attribute: a family name or a descriptor. */
struct nl_msg {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[32];
};

static void put_attr(struct nl_msg *m, unsigned short type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->n.nlmsg_len));
	a->nla_type = type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->n.nlmsg_len = NLMSG_ALIGN(m->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* An answer's header if buf holds a whole one; NULL otherwise. */
static struct nlmsghdr *answer_of(char *buf, ssize_t n)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	return n >= (ssize_t)sizeof(*h) && NLMSG_OK(h, (size_t)n) ? h : NULL;
}

/* 0 for a data answer, else the error it carries. */
static int answer_error(struct nlmsghdr *h)
{
	if (h->nlmsg_type != NLMSG_ERROR)
		return 0;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return -EPROTO;
	struct nlmsgerr *e = NLMSG_DATA(h);
	return e->error ? e->error : -EPROTO;
}

/* Sends m, receives its answer into buf; its length or -errno. Answers to
 * other requests (left over from a batch cut short) are skipped. */
static ssize_t transact(struct cgstats *cs, struct nl_msg *m, char *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	m->n.nlmsg_seq = ++cs->seq;
	if (sendto(cs->sock, m, m->n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(cs->sock, buf, len, 0);
		if (n < 0)
			return -errno;
		struct nlmsghdr *h = answer_of(buf, n);
		if (!h)
			return -EPROTO;
		if (h->nlmsg_seq != cs->seq)
			continue;
		int e = answer_error(h);
		return e ? e : n;
	}
}

/* Walks the attributes of a generic netlink answer. */
static struct nlattr *find_attr(char *buf, ssize_t n, unsigned short type)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	char *p = (char *)NLMSG_DATA(h) + GENL_HDRLEN;
	char *end = buf + (n < (ssize_t)h->nlmsg_len ? n : (ssize_t)h->nlmsg_len);
	while (p + NLA_HDRLEN <= end) {
		struct nlattr *a = (struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static void init_msg(struct nl_msg *m, unsigned short family, unsigned char cmd)
{
	memset(m, 0, sizeof(*m));
	m->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->n.nlmsg_type = family;
	m->n.nlmsg_flags = NLM_F_REQUEST;
	m->g.cmd = cmd;
	m->g.version = 1;
}

int cgstats_open(struct cgstats *cs)
{
	char buf[1024];
	struct nl_msg m;

	cs->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	cs->family = 0;
	if (cs->sock < 0)
		return -errno;
	init_msg(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	put_attr(&m, CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME, sizeof(TASKSTATS_GENL_NAME));
	ssize_t n = transact(cs, &m, buf, sizeof(buf));
	struct nlattr *id = n > 0 ? find_attr(buf, n, CTRL_ATTR_FAMILY_ID) : NULL;
	if (!id) {
		cgstats_close(cs);
		return n < 0 ? (int)n : -ENOENT; /* a kernel without CONFIG_TASKSTATS */
	}
	memcpy(&cs->family, (char *)id + NLA_HDRLEN, sizeof(cs->family));
	return 0;
}

void cgstats_close(struct cgstats *cs)
{
	if (cs->sock >= 0)
		close(cs->sock);
	cs->sock = -1;
	cs->family = 0;
}

struct tally {
	uint64_t active; /* running + uninterruptible */
	uint64_t tasks;  /* in any state */
};

static void request_of(struct cgstats *cs, int dirfd, struct nl_msg *m)
{
	uint32_t fd = (uint32_t)dirfd;
	init_msg(m, cs->family, CGROUPSTATS_CMD_GET);
	put_attr(m, CGROUPSTATS_CMD_ATTR_FD, &fd, sizeof(fd));
}

/* Adds the counts of a data answer to t. */
static int tally_answer(char *buf, ssize_t n, struct tally *t)
{
	struct nlattr *a = find_attr(buf, n, CGROUPSTATS_TYPE_CGROUP_STATS);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(struct cgroupstats))
		return -EPROTO;
	struct cgroupstats st;
	memcpy(&st, (char *)a + NLA_HDRLEN, sizeof(st));
	t->active += st.nr_running + st.nr_uninterruptible;
	t->tasks += st.nr_running + st.nr_uninterruptible + st.nr_sleeping + st.nr_stopped +
		    st.nr_io_wait;
	return 0;
}

/* Threads directly in the cgroup at dirfd. */
static int count_one(struct cgstats *cs, int dirfd, struct tally *t)
{
	char buf[1024];
	struct nl_msg m;

	request_of(cs, dirfd, &m);
	ssize_t n = transact(cs, &m, buf, sizeof(buf));
	return n < 0 ? (int)n : tally_answer(buf, n, t);
}

static int count_below(struct cgstats *cs, int dirfd, unsigned depth, struct tally *t);

static int count_tree(struct cgstats *cs, int dirfd, unsigned depth, struct tally *t)
{
	int r = count_one(cs, dirfd, t);
	return r < 0 ? r : count_below(cs, dirfd, depth, t);
}

/* Adds the cgroups below dirfd's (whose own threads are counted). */
static int count_below(struct cgstats *cs, int dirfd, unsigned depth, struct tally *t)
{
	int r = 0;
	struct stat st;
	/* A cgroup directory's link count is 2 plus its subdirectories: most
	 * containers have none, and need no readdir. */
	if (depth >= MAX_DEPTH || fstat(dirfd, &st) < 0 || st.st_nlink <= 2)
		return 0;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	for (struct dirent *de; r == 0 && (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		r = count_tree(cs, sub, depth + 1, t);
		close(sub);
	}
	closedir(d);
	return r;
}

int cgstats_count(struct cgstats *cs, int dirfd, uint64_t *active, uint64_t *tasks)
{
	struct tally t = { 0, 0 };
	*active = *tasks = 0;
	if (cs->sock < 0 || !cs->family)
		return -ENOTCONN;
	int r = count_tree(cs, dirfd, 0, &t);
	*active = t.active;
	*tasks = t.tasks;
	return r;
}

/* Up to this many requests go in one datagram. Their answers (64 bytes; an
 * error, 48: under 1 KiB of socket buffer each) are all queued by the time
 * the send returns (the kernel answers in the sender's context), well
 * within a netlink socket's default receive buffer. A longer answer would
 * be cut, fail its length check and leave its cgroup to be counted by path. */
#define BATCH 32
#define ANSWER_MAX 128

/* One send of n <= BATCH requests, one receive of their answers. */
static void ask_batch(struct cgstats *cs, struct cgstats_item *items, size_t n)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nl_msg req[BATCH];
	struct iovec out[BATCH], in[BATCH];
	struct mmsghdr answers[BATCH];
	char buf[BATCH][ANSWER_MAX]; /* 4 KiB, on the sampler thread's stack */
	uint32_t first = cs->seq + 1;

	for (size_t i = 0; i < n; i++) {
		request_of(cs, items[i].dirfd, &req[i]);
		req[i].n.nlmsg_seq = ++cs->seq;
		out[i] = (struct iovec){ &req[i], req[i].n.nlmsg_len };
		items[i].r = -EIO; /* until its answer is seen */
	}
	struct msghdr mh = { .msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = out,
			     .msg_iovlen = n };
	if (sendmsg(cs->sock, &mh, 0) < 0) {
		int e = -errno;
		for (size_t i = 0; i < n; i++)
			items[i].r = e;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		in[i] = (struct iovec){ buf[i], ANSWER_MAX };
		answers[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &in[i], .msg_iovlen = 1 } };
	}
	int got = recvmmsg(cs->sock, answers, (unsigned)n, MSG_DONTWAIT, NULL);
	for (int i = 0; i < got; i++) {
		struct nlmsghdr *h = answer_of(buf[i], answers[i].msg_len);
		if (!h || h->nlmsg_seq - first >= n)
			continue;
		struct cgstats_item *it = &items[h->nlmsg_seq - first];
		struct tally t = { 0, 0 };
		int e = answer_error(h);
		it->r = e ? e : tally_answer(buf[i], answers[i].msg_len, &t);
		it->active = t.active;
		it->tasks = t.tasks;
	}
}

void cgstats_count_many(struct cgstats *cs, struct cgstats_item *items, size_t n)
{
	if (cs->sock < 0 || !cs->family) {
		for (size_t i = 0; i < n; i++)
			items[i].r = -ENOTCONN;
		return;
	}
	for (size_t off = 0; off < n; off += BATCH)
		ask_batch(cs, items + off, n - off < BATCH ? n - off : BATCH);
	for (size_t i = 0; i < n; i++) {
		if (items[i].r < 0)
			continue;
		struct tally t = { items[i].active, items[i].tasks };
		items[i].r = count_below(cs, items[i].dirfd, 0, &t);
		items[i].active = t.active;
		items[i].tasks = t.tasks;
	}
}

int cgstats_count_active(struct cgstats *cs, int dirfd, uint64_t *active)
{
	uint64_t tasks;
	return cgstats_count(cs, dirfd, active, &tasks);
}
