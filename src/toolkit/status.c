/* `status`: a short summary of the daemon's metrics file (written by the
 * supervisor every 15 s, docs in the README's "Metrics"), and whether the
 * process in the pid file lives. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "metrics/promread.h"

/* Older than this, the file is not a daemon's current numbers: it writes
 * every 15 s. */
#define STALE_S 60

static void put_duration(char *buf, size_t len, double s)
{
	long t = s >= 0 && s < 1e15 ? (long)s : 0;
	if (t < 60)
		snprintf(buf, len, "%ld s", t);
	else if (t < 3600)
		snprintf(buf, len, "%ld min %ld s", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%ld h %02ld min", t / 3600, t / 60 % 60);
	else
		snprintf(buf, len, "%ld d %ld h", t / 86400, t / 3600 % 24);
}

static void put_latency(char *buf, size_t len, double s)
{
	if (isnan(s))
		snprintf(buf, len, "-");
	else if (s < 1e-3)
		snprintf(buf, len, "%.0f us", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.1f ms", s * 1e3);
	else
		snprintf(buf, len, "%.2f s", s);
}

/* The pid in pidfile if that process lives and is a cviewfs; else 0. */
static pid_t live_pid(const char *pidfile)
{
	FILE *f = fopen(pidfile, "re");
	long pid = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	char path[64], comm[64] = "";
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "cviewfs", 7) ? 0 : (pid_t)pid;
}

/* Seconds since process pid started. */
static double process_age(pid_t pid)
{
	unsigned long long start = tk_pid_start_time(pid);
	double up = 0;
	FILE *f = fopen("/proc/uptime", "re");
	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	long hz = sysconf(_SC_CLK_TCK);
	return start && hz > 0 ? up - (double)start / (double)hz : NAN;
}

static double value_of(const struct prom_text *t, const char *name, const char *label,
		       const char *want)
{
	double sum = 0;
	char got[128];
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name) && prom_label(&t->v[i], label, got, sizeof(got)) &&
		    !strcmp(got, want))
			sum += t->v[i].value;
	return sum;
}

/* "proc/meminfo 20, proc/uptime 12": the most read files, at most 4. */
static void busiest(const struct prom_text *t, char *buf, size_t len)
{
	bool used[4096] = { false };
	size_t off = 0;
	buf[0] = '\0';
	for (int k = 0; k < 4; k++) {
		size_t best = t->n;
		for (size_t i = 0; i < t->n && i < 4096; i++)
			if (!used[i] && !strcmp(t->v[i].name, "cviewfs_reads_total") && t->v[i].value > 0 &&
			    (best == t->n || t->v[i].value > t->v[best].value))
				best = i;
		if (best == t->n)
			break;
		used[best] = true;
		char file[128];
		if (!prom_label(&t->v[best], "file", file, sizeof(file)))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s %.0f", off ? ", " : "", file, t->v[best].value);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

static void print_summary(const struct prom_text *t, double age)
{
	char a[64], b[64], files[512];
	double reads = prom_sum(t, "cviewfs_reads_total", NULL);
	double errors = prom_sum(t, "cviewfs_read_errors_total", NULL);
	bool have_start;
	double start = prom_sum(t, "cviewfs_start_time_seconds", &have_start);
	double span = have_start && start > 0 ? (double)time(NULL) - age - start : 0;

	if (span >= 1) {
		put_duration(a, sizeof(a), span);
		printf("reads: %.0f (%.1f/s over the %s since the mount was first served), %.0f failed\n",
		       reads, reads / span, a, errors);
	} else {
		printf("reads: %.0f, %.0f failed\n", reads, errors);
	}
	busiest(t, files, sizeof(files));
	if (files[0])
		printf("  most read: %s\n", files);

	double hits = prom_sum(t, "cviewfs_render_cache_hits_total", NULL);
	double misses = prom_sum(t, "cviewfs_render_cache_misses_total", NULL);
	if (hits + misses > 0)
		printf("render cache: %.1f%% hits (%.0f of %.0f reads of per-container files)\n",
		       100 * hits / (hits + misses), hits, hits + misses);
	else
		printf("render cache: no reads of per-container files yet\n");

	static const char *const causes[] = { "missing", "empty", "garbage", "huge", "unreadable", "other" };
	double fallbacks = prom_sum(t, "cviewfs_host_fallbacks_total", NULL);
	printf("fallbacks to host values: %.0f", fallbacks);
	const char *sep = " (";
	for (size_t c = 0; c < sizeof(causes) / sizeof(causes[0]) && fallbacks > 0; c++) {
		double v = value_of(t, "cviewfs_host_fallbacks_total", "cause", causes[c]);
		if (v > 0) {
			printf("%s%s %.0f", sep, causes[c], v);
			sep = ", ";
		}
	}
	printf("%s\n", strcmp(sep, " (") ? ")" : "");

	double upgrades = prom_sum(t, "cviewfs_upgrades_total", NULL);
	printf("serving processes: %.0f started, %.0f restarted after a crash, %.0f upgrade%s",
	       prom_sum(t, "cviewfs_serving_process_starts_total", NULL),
	       prom_sum(t, "cviewfs_serving_process_restarts_total", NULL), upgrades,
	       upgrades == 1 ? "" : "s");
	double failed = prom_sum(t, "cviewfs_upgrade_failures_total", NULL);
	if (failed > 0)
		printf(" (%.0f failed)", failed);
	printf("\n");

	double requests = prom_sum(t, "cviewfs_request_duration_seconds_count", NULL);
	put_latency(a, sizeof(a), prom_quantile(t, "cviewfs_request_duration_seconds", 0.5));
	put_latency(b, sizeof(b), prom_quantile(t, "cviewfs_request_duration_seconds", 0.99));
	if (requests > 0)
		printf("request latency: p50 %s, p99 %s (%.0f requests; estimated from the histogram)\n", a,
		       b, requests);
	else
		printf("request latency: no requests yet\n");

	printf("containers tracked: %.0f with load averages, %.0f with /proc/stat accounting; "
	       "%.0f renders cached\n",
	       value_of(t, "cviewfs_containers_tracked", "set", "loadavg"),
	       value_of(t, "cviewfs_containers_tracked", "set", "stat"),
	       prom_sum(t, "cviewfs_render_cache_entries", NULL));
	double calls = prom_sum(t, "cviewfs_seccomp_calls_total", NULL);
	printf("seccomp agent: %.0f containers; %.0f calls: %.0f answered, %.0f run as the real call, %.0f "
	       "callers gone; %.0f answered for a dead serving process\n",
	       prom_sum(t, "cviewfs_seccomp_containers", NULL), calls,
	       value_of(t, "cviewfs_seccomp_calls_total", "result", "answered"),
	       value_of(t, "cviewfs_seccomp_calls_total", "result", "real_call"),
	       value_of(t, "cviewfs_seccomp_calls_total", "result", "caller_gone"),
	       prom_sum(t, "cviewfs_seccomp_orphans_answered_total", NULL));
	double samples = prom_sum(t, "cviewfs_sampler_samples_total", NULL);
	if (samples > 0)
		printf("loadavg sampler: %.3f s of CPU in %.0f samples (%.0f us each)\n",
		       prom_sum(t, "cviewfs_sampler_cpu_seconds_total", NULL), samples,
		       1e6 * prom_sum(t, "cviewfs_sampler_cpu_seconds_total", NULL) / samples);
}

int cmd_status(const char *pidfile, const char *metrics_file)
{
	char *derived = NULL;
	if (!metrics_file) {
		size_t len = strlen(pidfile);
		if (len > 4 && !strcmp(pidfile + len - 4, ".pid"))
			len -= 4;
		derived = tk_strdup_printf("%.*s.prom", (int)len, pidfile);
		metrics_file = derived;
	}
	int status = 1;
	struct stat st;
	char *text = NULL;
	tk_error *err = NULL;
	struct prom_text t = { 0 };

	if (stat(metrics_file, &st) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "cviewfs-toolkit: status: no metrics file %s (is cviewfs running? "
				"started with --metrics-file none?)\n", metrics_file);
		else
			fprintf(stderr, "cviewfs-toolkit: status: %s: %s\n", metrics_file, strerror(errno));
		goto out;
	}
	double age = difftime(time(NULL), st.st_mtime);
	if (age > STALE_S) {
		char a[64];
		put_duration(a, sizeof(a), age);
		fprintf(stderr, "cviewfs-toolkit: status: %s is stale: written %s ago (cviewfs rewrites it "
			"every 15 s; is it running?)\n", metrics_file, a);
		goto out;
	}
	if (tk_read_file_at(AT_FDCWD, metrics_file, &text, NULL, &err) < 0) {
		tk_wrap(&err, "status");
		tk_error_report(&err);
		goto out;
	}
	if (prom_parse(text, &t) < 0 || !prom_sum(&t, "cviewfs_start_time_seconds", NULL)) {
		fprintf(stderr, "cviewfs-toolkit: status: %s holds no cviewfs metrics\n", metrics_file);
		goto out;
	}
	if (pidfile) {
		pid_t pid = live_pid(pidfile);
		char up[64];
		if (pid) {
			put_duration(up, sizeof(up), process_age(pid));
			printf("cviewfs: running, pid %ld, up %s (%s)\n", (long)pid, up, pidfile);
		} else {
			printf("cviewfs: not running (no live cviewfs in %s)\n", pidfile);
		}
	}
	printf("metrics: %s, written %.0f s ago\n", metrics_file, age < 0 ? 0 : age);
	print_summary(&t, age < 0 ? 0 : age);
	status = 0;
out:
	prom_text_free(&t);
	free(text);
	free(derived);
	return status;
}
