#include "metrics/metrics.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "cviewfs-metrics 1\n"
#define HEADER_SIZE 4096
#define MAX_SERIES 256
#define NBLOCKS 64 /* block 0 shared, then one per request thread (32 today) */

struct header {
	char magic[32];
	uint32_t max_series, entry_size, nblocks, block_size;
	uint64_t registry_off, blocks_off, size;
	uint32_t nseries; /* entries in use (entry 0: the sink); grows only */
	/* Blocks any thread counted in (the shared one and one per thread
	 * made); grows only. 0 in a layout of a release before it: all.
	 * Summing only these leaves the others' pages unallocated (a memfd
	 * page is allocated when first read, too). */
	uint32_t nblocks_used;
};

struct entry {
	char family[48];
	char suffix[16];
	char labels[64];
	char help[120];
	uint8_t type;
	uint8_t decimals;
	uint8_t pad[6];
};
_Static_assert(sizeof(struct entry) == 256, "registry entries are 256 bytes");

/* Before metrics_attach (and after metrics_detach): counts land here. */
static uint64_t sink[MAX_SERIES];

uint16_t metrics_slot[MI_COUNT];
uint64_t *metrics_shared = sink;
__thread uint64_t *metrics_own;

static struct {
	void *base;
	size_t size;
	struct header *h;
	bool shared; /* the supervisor's memfd */
	uint64_t *shown; /* metrics_render's guard, per slot */
} mm;

enum metrics_cause metrics_fallback_cause(const char *cause)
{
	static const int missing[] = { ENOENT }, empty[] = { ENODATA },
			 huge[] = { ERANGE, EFBIG, EOVERFLOW },
			 unreadable[] = { EACCES, EPERM, EIO, ENOTDIR, ELOOP, ESTALE };
	static const struct {
		const int *errs;
		size_t n;
		enum metrics_cause cause;
	} by_errno[] = {
		{ missing, 1, CAUSE_MISSING },
		{ empty, 1, CAUSE_EMPTY },
		{ huge, 3, CAUSE_HUGE },
		{ unreadable, 6, CAUSE_UNREADABLE },
	};

	if (!cause)
		return CAUSE_OTHER;
	/* The callers' own words (cgroup/memory.c, cpu.c). */
	if (!strcmp(cause, "empty file"))
		return CAUSE_EMPTY;
	if (!strcmp(cause, "value out of range"))
		return CAUSE_HUGE;
	if (!strncmp(cause, "unparsable", 10) || !strncmp(cause, "no known", 8) ||
	    !strncmp(cause, "no usable", 9))
		return CAUSE_GARBAGE;
	if (!strncmp(cause, "unreadable", 10))
		return CAUSE_UNREADABLE;
	/* strerror of a failed read. */
	for (size_t i = 0; i < sizeof(by_errno) / sizeof(by_errno[0]); i++)
		for (size_t k = 0; k < by_errno[i].n; k++)
			if (!strcmp(cause, strerror(by_errno[i].errs[k])))
				return by_errno[i].cause;
	return CAUSE_OTHER;
}

static const char *const cause_names[CAUSE_COUNT] = {
	[CAUSE_MISSING] = "missing", [CAUSE_EMPTY] = "empty",           [CAUSE_GARBAGE] = "garbage",
	[CAUSE_HUGE] = "huge",       [CAUSE_UNREADABLE] = "unreadable", [CAUSE_OTHER] = "other",
};

static struct entry *entry_at(unsigned slot)
{
	return (struct entry *)((char *)mm.base + mm.h->registry_off + (size_t)slot * sizeof(struct entry));
}

static uint64_t *block_at(unsigned i)
{
	return (uint64_t *)((char *)mm.base + mm.h->blocks_off + (size_t)i * mm.h->block_size);
}

static void copy_field(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static bool same_series(const struct entry *e, const char *family, const char *suffix,
			const char *labels)
{
	return !strncmp(e->family, family, sizeof(e->family)) &&
	       !strncmp(e->suffix, suffix, sizeof(e->suffix)) &&
	       !strncmp(e->labels, labels, sizeof(e->labels));
}

unsigned metrics_register(const char *family, const char *suffix, const char *labels,
			  const char *help, enum prom_type type, unsigned decimals)
{
	if (!mm.h)
		return 0;
	uint32_t n = __atomic_load_n(&mm.h->nseries, __ATOMIC_ACQUIRE);
	for (unsigned i = 1; i < n && i < mm.h->max_series; i++)
		if (same_series(entry_at(i), family, suffix, labels))
			return i;
	if (n >= mm.h->max_series) {
		log_once("metrics", "full", "the metrics registry is full: %s%s{%s} is not counted",
			 family, suffix, labels);
		return 0;
	}
	struct entry *e = entry_at(n);
	memset(e, 0, sizeof(*e));
	copy_field(e->family, sizeof(e->family), family);
	copy_field(e->suffix, sizeof(e->suffix), suffix);
	copy_field(e->labels, sizeof(e->labels), labels);
	copy_field(e->help, sizeof(e->help), help);
	e->type = (uint8_t)type;
	e->decimals = (uint8_t)decimals;
	/* Readers (the supervisor) see the entry whole before they see it. */
	__atomic_store_n(&mm.h->nseries, n + 1, __ATOMIC_RELEASE);
	return n;
}

static void reg(unsigned id, const char *family, const char *suffix, const char *labels,
		const char *help, enum prom_type type, unsigned decimals)
{
	metrics_slot[id] = (uint16_t)metrics_register(family, suffix, labels, help, type, decimals);
}

void metrics_register_file(unsigned file, const char *name)
{
	char labels[64];
	if (file >= METRICS_FILES)
		return;
	snprintf(labels, sizeof(labels), "file=\"%s\"", name);
	reg(MI_READS + file, "cviewfs_reads_total", "", labels,
	    "Reads of each file from its start (cgroup: the cgroupfs view's files)", PROM_COUNTER, 0);
	reg(MI_READ_ERRORS + file, "cviewfs_read_errors_total", "", labels,
	    "Reads of each file that failed", PROM_COUNTER, 0);
}

/* Every series of this release but the files', in the order the file
 * shows them. */
static void register_all(void)
{
	char labels[64];

	reg(MI_CACHE_HITS, "cviewfs_render_cache_hits_total", "", "",
	    "Reads of a per-container file served from its render of the last 10 ms", PROM_COUNTER, 0);
	reg(MI_CACHE_MISSES, "cviewfs_render_cache_misses_total", "", "",
	    "Reads of a per-container file that rendered it", PROM_COUNTER, 0);
	for (unsigned c = 0; c < CAUSE_COUNT; c++) {
		snprintf(labels, sizeof(labels), "cause=\"%s\"", cause_names[c]);
		reg(MI_FALLBACK + c, "cviewfs_host_fallbacks_total", "", labels,
		    "Values shown as the host's because a cgroup file was missing, empty, garbage, "
		    "out of range or unreadable", PROM_COUNTER, 0);
	}
	static const char latency_help[] = "Time from taking a FUSE request to writing its reply";
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		char le[32];
		hist_le(b, le, sizeof(le));
		snprintf(labels, sizeof(labels), "le=\"%s\"", le);
		reg(MI_LATENCY + b, "cviewfs_request_duration_seconds", "_bucket", labels, latency_help,
		    PROM_HISTOGRAM, 0);
	}
	reg(MI_LATENCY_SUM_NS, "cviewfs_request_duration_seconds", "_sum", "", latency_help,
	    PROM_HISTOGRAM, 9);
	reg(MI_STARTS, "cviewfs_serving_process_starts_total", "", "",
	    "Serving processes started: the first, after a crash, at an upgrade", PROM_COUNTER, 0);
	reg(MI_RESTARTS, "cviewfs_serving_process_restarts_total", "", "",
	    "Serving processes started because the previous one died (a crash)", PROM_COUNTER, 0);
	reg(MI_UPGRADES, "cviewfs_upgrades_total", "", "",
	    "Upgrades in place (SIGUSR1) in which a new serving process took over", PROM_COUNTER, 0);
	reg(MI_UPGRADE_FAILURES, "cviewfs_upgrade_failures_total", "", "",
	    "Upgrades in place (SIGUSR1) whose new serving process could not start", PROM_COUNTER, 0);
	static const char tracked_help[] = "Containers whose load averages (set loadavg, with -l) or "
					   "/proc/stat accounting (set stat) are kept";
	reg(MI_CONTAINERS_LOADAVG, "cviewfs_containers_tracked", "", "set=\"loadavg\"", tracked_help,
	    PROM_GAUGE, 0);
	reg(MI_CONTAINERS_STAT, "cviewfs_containers_tracked", "", "set=\"stat\"", tracked_help,
	    PROM_GAUGE, 0);
	reg(MI_RCACHE_ENTRIES, "cviewfs_render_cache_entries", "", "",
	    "Renders kept in the render cache (one per file and container read in the last 10 ms)",
	    PROM_GAUGE, 0);
	static const char *const seccomp_results[SECCOMP_OUTCOMES] = { "answered", "real_call", "caller_gone" };
	for (unsigned r = 0; r < SECCOMP_OUTCOMES; r++) {
		snprintf(labels, sizeof(labels), "result=\"%s\"", seccomp_results[r]);
		reg(MI_SECCOMP_CALLS + r, "cviewfs_seccomp_calls_total", "", labels,
		    "System calls of containers the seccomp agent was notified of, by how it ended them",
		    PROM_COUNTER, 0);
	}
	reg(MI_SECCOMP_ORPHANS, "cviewfs_seccomp_orphans_answered_total", "", "",
	    "Calls a serving process had taken and not answered when it died, answered by its successor",
	    PROM_COUNTER, 0);
	reg(MI_SECCOMP_CONTAINERS, "cviewfs_seccomp_containers", "", "",
	    "Containers whose seccomp notify descriptor the supervisor holds", PROM_GAUGE, 0);
	reg(MI_SAMPLER_NS, "cviewfs_sampler_cpu_seconds_total", "", "",
	    "CPU time the loadavg sampler thread spent sampling (-l)", PROM_COUNTER, 9);
	reg(MI_SAMPLER_SAMPLES, "cviewfs_sampler_samples_total", "", "",
	    "Samples of every followed container the loadavg sampler took (one per 5 s, -l)",
	    PROM_COUNTER, 0);
	reg(MI_START_TIME, "cviewfs_start_time_seconds", "", "",
	    "When this mount was first served, in seconds since the Epoch", PROM_GAUGE, 0);
}

static void lay_out(struct header *h, size_t size)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MAGIC, sizeof(MAGIC));
	h->max_series = MAX_SERIES;
	h->entry_size = sizeof(struct entry);
	h->nblocks = NBLOCKS;
	h->block_size = MAX_SERIES * sizeof(uint64_t);
	h->registry_off = HEADER_SIZE;
	h->blocks_off = HEADER_SIZE + (uint64_t)MAX_SERIES * sizeof(struct entry);
	h->size = size;
	h->nseries = 1; /* entry 0: the sink, never shown */
	h->nblocks_used = 1; /* the shared block */
}

static size_t default_size(void)
{
	return HEADER_SIZE + (size_t)MAX_SERIES * sizeof(struct entry) +
	       (size_t)NBLOCKS * MAX_SERIES * sizeof(uint64_t);
}

/* A layout another release made, if this one can use it. */
static bool usable(const struct header *h, size_t size)
{
	return !memcmp(h->magic, MAGIC, sizeof(MAGIC)) && h->entry_size == sizeof(struct entry) &&
	       h->max_series >= 2 && h->max_series <= 65535 && h->nblocks >= 1 &&
	       h->block_size >= h->max_series * sizeof(uint64_t) && h->block_size % 64 == 0 &&
	       h->registry_off >= sizeof(*h) &&
	       h->registry_off + (uint64_t)h->max_series * h->entry_size <= h->blocks_off &&
	       h->blocks_off % 64 == 0 && h->blocks_off + (uint64_t)h->nblocks * h->block_size <= h->size &&
	       h->size <= size && h->nseries >= 1;
}

/* Maps memfd fd, laid out if empty; with its lock held (released by
 * metrics_attach once this process's series are registered). */
static int map_fd(int fd)
{
	struct stat st;
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0)
		return -errno;
	size_t size = (size_t)st.st_size;
	bool fresh = size == 0;
	if (fresh) {
		size = default_size();
		if (ftruncate(fd, (off_t)size) < 0)
			return -errno;
	}
	if (size < HEADER_SIZE)
		return -EINVAL;
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (fresh)
		lay_out(base, size);
	else if (!usable(base, size)) {
		munmap(base, size);
		return -EPROTO;
	}
	mm.base = base;
	mm.size = size;
	mm.h = base;
	mm.shared = true;
	return 0;
}

static void map_private(void)
{
	size_t size = default_size();
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		log_warn("metrics: cannot map %zu bytes: %s; nothing is counted", size, strerror(errno));
		return;
	}
	lay_out(base, size);
	mm.base = base;
	mm.size = size;
	mm.h = base;
	mm.shared = false;
}

void metrics_attach(int fd, void (*register_files)(void))
{
	metrics_detach();
	int r = fd >= 0 ? map_fd(fd) : -EBADF;
	if (r < 0) {
		if (fd >= 0)
			log_warn("metrics: cannot use the supervisor's counters (%s): this process "
				 "counts in its own memory", r == -EPROTO ? "a layout this release does not know"
									  : strerror(-r));
		map_private();
	}
	if (mm.h) {
		if (register_files)
			register_files();
		register_all();
		metrics_shared = block_at(0);
		/* The first process of the mount sets it; successors keep it. */
		uint64_t zero = 0, now = (uint64_t)time(NULL);
		__atomic_compare_exchange_n(metrics_shared + metrics_slot[MI_START_TIME], &zero, now, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	if (mm.shared)
		flock(fd, LOCK_UN);
}

void metrics_detach(void)
{
	metrics_own = NULL;
	metrics_shared = sink;
	memset(metrics_slot, 0, sizeof(metrics_slot));
	if (mm.base)
		munmap(mm.base, mm.size);
	free(mm.shown);
	memset(&mm, 0, sizeof(mm));
}

void metrics_thread(unsigned index)
{
	metrics_own = mm.h && index + 1 < mm.h->nblocks ? block_at(index + 1) : NULL;
	if (!metrics_own)
		return;
	uint32_t used = __atomic_load_n(&mm.h->nblocks_used, __ATOMIC_RELAXED);
	while (used < index + 2 &&
	       !__atomic_compare_exchange_n(&mm.h->nblocks_used, &used, index + 2, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

uint64_t metrics_value(unsigned slot)
{
	uint64_t sum = 0;
	if (!mm.h || slot >= mm.h->max_series)
		return 0;
	uint32_t used = __atomic_load_n(&mm.h->nblocks_used, __ATOMIC_RELAXED);
	unsigned n = used && used < mm.h->nblocks ? used : mm.h->nblocks;
	for (unsigned b = 0; b < n; b++)
		sum += __atomic_load_n(block_at(b) + slot, __ATOMIC_RELAXED);
	return sum;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t metrics_sample_begin(void)
{
	return thread_cpu_ns();
}

void metrics_sample_end(uint64_t begin)
{
	uint64_t end = thread_cpu_ns();
	metrics_add(MI_SAMPLER_NS, end > begin ? end - begin : 0);
	metrics_add(MI_SAMPLER_SAMPLES, 1);
}

void metrics_render(struct strbuf *out)
{
	if (!mm.h)
		return;
	unsigned max = mm.h->max_series;
	uint32_t n = __atomic_load_n(&mm.h->nseries, __ATOMIC_ACQUIRE);
	if (n > max)
		n = max;
	if (!mm.shown)
		mm.shown = xcalloc(max, sizeof(*mm.shown));
	struct entry *copy = xcalloc(n ? n : 1, sizeof(*copy));
	/* Each series, and a histogram's _count after its _sum. */
	struct prom_sample *s = xcalloc(2 * (size_t)n + 1, sizeof(*s));
	size_t ns = 0;
	uint64_t cum = 0;
	const char *cum_family = "";

	for (unsigned i = 1; i < n; i++) {
		struct entry *e = &copy[i];
		*e = *entry_at(i);
		e->family[sizeof(e->family) - 1] = e->suffix[sizeof(e->suffix) - 1] = '\0';
		e->labels[sizeof(e->labels) - 1] = e->help[sizeof(e->help) - 1] = '\0';
		enum prom_type type = e->type <= PROM_HISTOGRAM ? (enum prom_type)e->type : PROM_GAUGE;
		uint64_t v = metrics_value(i);
		if (type != PROM_GAUGE) {
			if (v < mm.shown[i])
				v = mm.shown[i];
			mm.shown[i] = v;
		}
		s[ns++] = (struct prom_sample){ e->family, e->suffix, e->labels, e->help, type, v,
						e->decimals <= 18 ? e->decimals : 0 };
		if (type != PROM_HISTOGRAM)
			continue;
		if (!strcmp(e->suffix, "_bucket")) {
			/* Stored per bucket; shown cumulative. */
			if (strcmp(cum_family, e->family))
				cum = 0;
			cum_family = e->family;
			cum += v;
			s[ns - 1].value = cum;
		} else if (!strcmp(e->suffix, "_sum")) {
			s[ns++] = (struct prom_sample){ e->family, "_count", "", e->help, type,
							strcmp(cum_family, e->family) ? 0 : cum, 0 };
		}
	}
	prom_render(out, s, ns);
	free(s);
	free(copy);
}

void metrics_write_file(const char *path)
{
	if (!path)
		return;
	struct strbuf text = STRBUF_INIT;
	metrics_render(&text);
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int e = 0;
	if (fd < 0) {
		e = errno;
	} else {
		for (size_t done = 0; done < text.len && !e;) {
			ssize_t w = write(fd, text.buf + done, text.len - done);
			if (w < 0 && errno != EINTR)
				e = errno;
			done += w > 0 ? (size_t)w : 0;
		}
		/* Whatever the umask: the textfile collector may run as another user. */
		if (!e && fchmod(fd, 0644) < 0)
			e = errno;
		if (close(fd) < 0 && !e)
			e = errno;
		if (!e && rename(tmp, path) < 0)
			e = errno;
		if (e)
			unlink(tmp);
	}
	if (e)
		log_once(path, "metrics", "cannot write the metrics file: %s (it is not updated)",
			 strerror(e));
	free(tmp);
	sb_free(&text);
}

char *metrics_default_path(const char *pidfile)
{
	size_t len = strlen(pidfile);
	if (len > 4 && !strcmp(pidfile + len - 4, ".pid"))
		len -= 4;
	return xasprintf("%.*s.prom", (int)len, pidfile);
}

double metrics_interval(void)
{
	const char *v = getenv("CVIEWFS_METRICS_INTERVAL");
	char *end;
	double s = v ? strtod(v, &end) : 0;
	if (v && end != v && !*end && isfinite(s) && s > 0)
		return s;
	return 15.0;
}
