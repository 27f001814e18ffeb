/* The benchmark's reader: times reads of /proc-like files.
 *
 *   reader [-c CPU] [-j CGDIR]... [-P] MODE ARGS...
 *
 *   -c CPU     pin to this CPU (sched_setaffinity) before measuring
 *   -j CGDIR   join this cgroup (writes to CGDIR/cgroup.procs) before measuring
 *   -P         run in a new pid namespace (as its pid 1), as a container's init
 *
 * Modes:
 *   cycle N ROUNDS PATH...   ROUNDS rounds; in each, N x (open, read to EOF,
 *                            close) of every PATH, the paths' order rotated
 *                            every round (interleaved: A B C, B C A, ...)
 *   reread N ROUNDS PATH...  the same with every PATH opened once, and one
 *                            pread at offset 0 per iteration (as top/free -s)
 *   Both print one line per path, latencies in ns:
 *     PATH n=.. errors=.. bytes=.. min=.. p50=.. p90=.. p99=.. mean=.. max=..
 *   run START END OUT PATH   after 3 warm-up cycles, open/read/close cycles
 *                            from CLOCK_REALTIME START to END (ns since the
 *                            epoch), every latency (ns) written to OUT one a
 *                            line; prints n=.. errors=.. late=NS (how late
 *                            the first measured cycle began)
 *
 * A read to EOF uses a 64 KiB buffer, so a /proc file costs two read() calls,
 * the second returning 0. A cycle fails (counted in errors) when open or read
 * fails or the file is empty. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

static int run_timed(uint64_t start, uint64_t end, const char *out, const char *path)
{
	FILE *f = fopen(out, "w");
	if (!f) {
		fprintf(stderr, "reader: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	for (int i = 0; i < 3; i++) /* the daemon's first sight of a container is not the steady state */
		cycle(path);
	uint64_t late = now_ns(CLOCK_REALTIME) > start ? now_ns(CLOCK_REALTIME) - start : 0;
	while (now_ns(CLOCK_REALTIME) < start) {
		uint64_t left = start - now_ns(CLOCK_REALTIME);
		struct timespec ts = { .tv_sec = (time_t)(left / 1000000000u), .tv_nsec = (long)(left % 1000000000u) };
		nanosleep(&ts, NULL);
	}
	long n = 0, errs = 0;
	while (now_ns(CLOCK_REALTIME) < end) {
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		long b = cycle(path);
		uint64_t t1 = now_ns(CLOCK_MONOTONIC);
		if (b < 0) {
			errs++;
			continue;
		}
		n++;
		fprintf(f, "%lu\n", (unsigned long)(t1 - t0));
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "reader: cannot write %s\n", out);
		return 1;
	}
	printf("n=%ld errors=%ld late=%lu\n", n, errs, (unsigned long)late);
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
	fprintf(stderr, "usage: reader [-c CPU] [-j CGDIR]... [-P] cycle|reread N ROUNDS PATH...\n"
			"       reader [-c CPU] [-j CGDIR]... [-P] run START_NS END_NS OUTFILE PATH\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int cpu = -1, newpid = 0, opt;
	while ((opt = getopt(argc, argv, "+c:j:P")) != -1) {
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
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (newpid) {
		if (unshare(CLONE_NEWPID) != 0) {
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
	if (strcmp(argv[0], "run") == 0 && argc == 5)
		return run_timed(strtoull(argv[1], NULL, 10), strtoull(argv[2], NULL, 10), argv[3], argv[4]);
	usage();
	return 2;
}
