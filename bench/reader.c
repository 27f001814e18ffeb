/* The benchmark's reader: times reads of /proc-like files.
 *
 *   reader [-c CPU] [-j CGDIR]... [-P | -N PID] MODE ARGS...
 *
 *   -c CPU     pin to this CPU (sched_setaffinity) before measuring
 *   -j CGDIR   join this cgroup (writes to CGDIR/cgroup.procs) before measuring
 *   -P         run in a new pid namespace (as its pid 1), as a container's init
 *   -N PID     run in the pid namespace of PID (a process of a container that
 *              already runs, e.g. its init), as a process started inside it
 *   -T NS      run mode: at NS (CLOCK_REALTIME, ns since the epoch) stop
 *              waiting for a read still under way: count its latency so far,
 *              print the results with cut=1 and exit (the process ends when
 *              the read returns; a FUSE request already sent waits for its
 *              answer)
 *
 * Modes:
 *   cycle N ROUNDS PATH...   ROUNDS rounds; in each, N x (open, read to EOF,
 *                            close) of every PATH, the paths' order rotated
 *                            every round (interleaved: A B C, B C A, ...)
 *   reread N ROUNDS PATH...  the same with every PATH opened once, and one
 *                            pread at offset 0 per iteration (as top/free -s)
 *   Both print one line per path, latencies in ns:
 *     PATH n=.. errors=.. bytes=.. min=.. p50=.. p90=.. p99=.. mean=.. max=..
 *   run START END OUT PATH...
 *                            up to 3 warm-up cycles of every PATH (the
 *                            warm-up ends at START), then open/read/close
 *                            cycles of the PATHs round-robin (A B C A B C ...)
 *                            from CLOCK_REALTIME START to END (ns since the
 *                            epoch), every latency (ns) written to OUT one a
 *                            line; prints
 *                              n=.. errors=.. short=.. late=NS cut=0|1
 *                            (late: how late the first measured cycle began;
 *                            short: the errors that were short reads; cut:
 *                            see -T), then
 *                            for every PATH read in the window the first
 *                            line of its last successful read:
 *                              head PATH<TAB>LINE
 *                            and a last line "end"
 *
 * A read to EOF uses a 64 KiB buffer, so a /proc file costs two read() calls,
 * the second returning 0. A cycle fails (counted in errors) when open or read
 * fails or the file is empty; in run mode also when its content does not end
 * with a newline or is less than half as long as the path's first successful
 * read (a truncated read: every file served here ends with a newline, and
 * its length changes only with its numbers). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ 65536
static char buf[BUFSZ];
#define HEADSZ 256
static char head[HEADSZ]; /* the first bytes of the last cycle's content */
static size_t head_len;
static char last_byte; /* its last byte */

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int errors_reported;
static void report_error(const char *what, const char *path)
{
	if (errors_reported++ < 3)
		fprintf(stderr, "reader: %s %s: %s\n", what, path, errno ? strerror(errno) : "empty");
}

/* open + read to EOF + close; returns bytes read, or -1 */
static long cycle(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report_error("open", path);
		return -1;
	}
	long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, BUFSZ);
		if (n < 0) {
			report_error("read", path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (total == 0) {
			head_len = (size_t)n < HEADSZ ? (size_t)n : HEADSZ;
			memcpy(head, buf, head_len);
		}
		last_byte = buf[n - 1];
		total += n;
	}
	close(fd);
	if (total == 0) {
		errno = 0;
		report_error("read", path);
		return -1;
	}
	return total;
}

static long reread(int fd, const char *path)
{
	ssize_t n = pread(fd, buf, BUFSZ, 0);
	if (n <= 0) {
		if (n == 0)
			errno = 0;
		report_error("pread", path);
		return -1;
	}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static int run_rounds(int reread_mode, long n, long rounds, int npaths, char **paths)
{
	uint64_t **lat = calloc((size_t)npaths, sizeof(*lat));
	size_t *cnt = calloc((size_t)npaths, sizeof(*cnt));
	long *errs = calloc((size_t)npaths, sizeof(*errs));
	long *bytes = calloc((size_t)npaths, sizeof(*bytes));
	int *fds = calloc((size_t)npaths, sizeof(*fds));
	if (!lat || !cnt || !errs || !bytes || !fds)
		return 1;
	for (int p = 0; p < npaths; p++) {
		lat[p] = malloc(sizeof(**lat) * (size_t)(n * rounds));
		if (!lat[p])
			return 1;
		fds[p] = -1;
		if (reread_mode) {
			fds[p] = open(paths[p], O_RDONLY | O_CLOEXEC);
			if (fds[p] < 0) {
				fprintf(stderr, "reader: open %s: %s\n", paths[p], strerror(errno));
				return 1;
			}
		}
	}
	for (long r = 0; r < rounds; r++) {
		for (int k = 0; k < npaths; k++) {
			int p = (int)((k + r) % npaths);
			for (long i = 0; i < n; i++) {
				uint64_t t0 = now_ns(CLOCK_MONOTONIC);
				long b = reread_mode ? reread(fds[p], paths[p]) : cycle(paths[p]);
				uint64_t t1 = now_ns(CLOCK_MONOTONIC);
				if (b < 0) {
					errs[p]++;
					continue;
				}
				bytes[p] = b;
				lat[p][cnt[p]++] = t1 - t0;
			}
		}
	}
	for (int p = 0; p < npaths; p++) {
		size_t c = cnt[p];
		if (c == 0) {
			printf("%s n=0 errors=%ld\n", paths[p], errs[p]);
			continue;
		}
		qsort(lat[p], c, sizeof(uint64_t), cmp_u64);
		double sum = 0;
		for (size_t i = 0; i < c; i++)
			sum += (double)lat[p][i];
		printf("%s n=%zu errors=%ld bytes=%ld min=%lu p50=%lu p90=%lu p99=%lu mean=%.0f max=%lu\n", paths[p],
		       c, errs[p], bytes[p], (unsigned long)lat[p][0], (unsigned long)pct(lat[p], c, 0.5),
		       (unsigned long)pct(lat[p], c, 0.9), (unsigned long)pct(lat[p], c, 0.99), sum / (double)c,
		       (unsigned long)lat[p][c - 1]);
	}
	return 0;
}

struct timed_path {
	const char *path;
	long first_len; /* the first successful read's length, 0 before it */
	char head[HEADSZ]; /* the first line of the last successful read */
};

/* run mode's state, shared with the deadline's watchdog thread */
static struct {
	pthread_mutex_t lock;
	FILE *out;
	int npaths;
	struct timed_path *tp;
	uint64_t start;
	long n, errs, shorts;
	uint64_t late;
	int measuring; /* the first measured cycle has begun */
	uint64_t inflight_t0; /* CLOCK_MONOTONIC start of the cycle under way, 0 if none (atomic) */
	int done;
} rs = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* prints run mode's results; under rs.lock */
static void run_report(int cut)
{
	printf("n=%ld errors=%ld short=%ld late=%lu cut=%d\n", rs.n, rs.errs, rs.shorts, (unsigned long)rs.late, cut);
	for (int p = 0; p < rs.npaths; p++)
		if (rs.tp[p].first_len) /* read in the window */
			printf("head %s\t%s\n", rs.tp[p].path, rs.tp[p].head);
	printf("end\n");
	fflush(stdout);
}

/* At the deadline a read still waits for its answer (a daemon can take any
 * time, and a FUSE request already sent cannot be interrupted): report it as
 * cut, with its latency so far counted, and exit (the process goes once the
 * read returns). */
static void *watchdog(void *arg)
{
	uint64_t deadline = *(uint64_t *)arg;
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000u), .tv_nsec = (long)(deadline % 1000000000u) };
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	pthread_mutex_lock(&rs.lock);
	if (rs.done) {
		pthread_mutex_unlock(&rs.lock);
		return NULL;
	}
	/* the read under way, even a warm-up's that kept the window from
	 * starting, has taken this long at least */
	int cut = 0;
	uint64_t t0 = __atomic_load_n(&rs.inflight_t0, __ATOMIC_SEQ_CST);
	if (t0) {
		fprintf(rs.out, "%lu\n", (unsigned long)(now_ns(CLOCK_MONOTONIC) - t0));
		cut = 1;
	}
	if (!rs.measuring)
		rs.late = deadline - rs.start;
	fflush(rs.out);
	fprintf(stderr, "reader: %s at the deadline\n", cut ? "a read still waited for its answer" : "stopped");
	run_report(cut);
	_exit(0);
}

static int run_timed(uint64_t start, uint64_t end, uint64_t deadline, const char *out, int npaths, char **paths)
{
	FILE *f = fopen(out, "w");
	if (!f) {
		fprintf(stderr, "reader: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	struct timed_path *tp = calloc((size_t)npaths, sizeof(*tp));
	if (!tp)
		return 1;
	for (int p = 0; p < npaths; p++)
		tp[p].path = paths[p];
	rs.out = f;
	rs.npaths = npaths;
	rs.tp = tp;
	rs.start = start;
	pthread_t wd;
	if (deadline && pthread_create(&wd, NULL, watchdog, &deadline) != 0) {
		fprintf(stderr, "reader: cannot start the watchdog\n");
		return 1;
	}
	/* the daemon's first sight of a container is not the steady state;
	 * the warm-up ends at START, done or not */
	for (int i = 0; i < 3 && now_ns(CLOCK_REALTIME) < start; i++)
		for (int p = 0; p < npaths && now_ns(CLOCK_REALTIME) < start; p++) {
			__atomic_store_n(&rs.inflight_t0, now_ns(CLOCK_MONOTONIC), __ATOMIC_SEQ_CST);
			cycle(paths[p]);
			__atomic_store_n(&rs.inflight_t0, 0, __ATOMIC_SEQ_CST);
		}
	while (now_ns(CLOCK_REALTIME) < start) {
		uint64_t left = start - now_ns(CLOCK_REALTIME);
		struct timespec ts = { .tv_sec = (time_t)(left / 1000000000u), .tv_nsec = (long)(left % 1000000000u) };
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&rs.lock);
	rs.late = now_ns(CLOCK_REALTIME) - start;
	rs.measuring = 1;
	pthread_mutex_unlock(&rs.lock);
	for (int p = 0; now_ns(CLOCK_REALTIME) < end; p = (p + 1) % npaths) {
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		__atomic_store_n(&rs.inflight_t0, t0, __ATOMIC_SEQ_CST);
		long b = cycle(paths[p]);
		uint64_t t1 = now_ns(CLOCK_MONOTONIC);
		pthread_mutex_lock(&rs.lock);
		__atomic_store_n(&rs.inflight_t0, 0, __ATOMIC_SEQ_CST);
		if (b < 0) {
			rs.errs++;
		} else if (last_byte != '\n' || b < tp[p].first_len / 2) {
			if (errors_reported++ < 3)
				fprintf(stderr, "reader: short read of %s: %ld bytes (first read: %ld)%s\n", paths[p], b,
					tp[p].first_len, last_byte != '\n' ? ", no newline at the end" : "");
			rs.errs++;
			rs.shorts++;
		} else {
			if (!tp[p].first_len)
				tp[p].first_len = b;
			size_t l = 0;
			while (l < head_len && l < HEADSZ - 1 && head[l] != '\n')
				l++;
			memcpy(tp[p].head, head, l);
			tp[p].head[l] = 0;
			rs.n++;
			fprintf(f, "%lu\n", (unsigned long)(t1 - t0));
		}
		pthread_mutex_unlock(&rs.lock);
	}
	pthread_mutex_lock(&rs.lock);
	rs.done = 1;
	if (fclose(f) != 0) {
		fprintf(stderr, "reader: cannot write %s\n", out);
		return 1;
	}
	run_report(0);
	pthread_mutex_unlock(&rs.lock);
	return 0;
}

static int join_cgroup(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "reader: cannot join %s: %s\n", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: reader [-c CPU] [-j CGDIR]... [-P | -N PID] cycle|reread N ROUNDS PATH...\n"
			"       reader [-c CPU] [-j CGDIR]... [-P | -N PID] [-T DEADLINE_NS] run START_NS END_NS OUTFILE PATH...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int cpu = -1, newpid = 0, opt;
	const char *joinpid = NULL;
	uint64_t deadline = 0;
	while ((opt = getopt(argc, argv, "+c:j:PN:T:")) != -1) {
		switch (opt) {
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'j':
			if (join_cgroup(optarg))
				return 1;
			break;
		case 'P':
			newpid = 1;
			break;
		case 'N':
			joinpid = optarg;
			break;
		case 'T':
			deadline = strtoull(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (newpid && joinpid)
		usage();
	if (joinpid) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", joinpid);
		int nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWPID) != 0) {
			fprintf(stderr, "reader: cannot join the pid namespace %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(nsfd);
	}
	if (newpid || joinpid) {
		if (newpid && unshare(CLONE_NEWPID) != 0) {
			fprintf(stderr, "reader: unshare(CLONE_NEWPID): %s\n", strerror(errno));
			return 1;
		}
		fflush(stdout);
		pid_t child = fork();
		if (child < 0) {
			fprintf(stderr, "reader: fork: %s\n", strerror(errno));
			return 1;
		}
		if (child > 0) {
			int status;
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		}
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			fprintf(stderr, "reader: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
			return 1;
		}
	}
	if ((strcmp(argv[0], "cycle") == 0 || strcmp(argv[0], "reread") == 0) && argc >= 4) {
		long n = atol(argv[1]), rounds = atol(argv[2]);
		if (n <= 0 || rounds <= 0)
			usage();
		return run_rounds(argv[0][0] == 'r', n, rounds, argc - 3, argv + 3);
	}
	if (strcmp(argv[0], "run") == 0 && argc >= 5)
		return run_timed(strtoull(argv[1], NULL, 10), strtoull(argv[2], NULL, 10), deadline, argv[3], argc - 4,
				 argv + 4);
	usage();
	return 2;
}
