/* A container's block I/O, from whichever source counts it. */
#include "cgroup/cgroup.h"
#include "host/host.h"
#include "util/parse.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cg_io_free(struct cg_io *io)
{
	free(io->dev);
	io->dev = NULL;
	io->n = 0;
}

static struct cg_io_dev *dev_of(struct cg_io *io, unsigned major, unsigned minor)
{
	for (unsigned i = 0; i < io->n; i++)
		if (io->dev[i].major == major && io->dev[i].minor == minor)
			return &io->dev[i];
	io->dev = xrealloc(io->dev, (io->n + 1) * sizeof(*io->dev));
	memset(&io->dev[io->n], 0, sizeof(*io->dev));
	io->dev[io->n].major = major;
	io->dev[io->n].minor = minor;
	return &io->dev[io->n++];
}

/* Drops devices without any I/O: only devices the container used show.
 * With none left the array is freed: a parser that says false leaves
 * nothing to free (cg_read_io's v2 path and its caller free nothing then). */
static bool keep_used(struct cg_io *io)
{
	unsigned kept = 0;
	for (unsigned i = 0; i < io->n; i++) {
		struct cg_io_dev *d = &io->dev[i];
		if (d->rbytes || d->wbytes || d->rios || d->wios || d->dbytes || d->dios)
			io->dev[kept++] = *d;
	}
	io->n = kept;
	if (!kept)
		cg_io_free(io);
	return kept > 0;
}

bool io_stat_parse(const char *text, struct cg_io *out)
{
	static const char *const keys[] = { "rbytes=", "wbytes=", "rios=", "wios=", "dbytes=", "dios=" };

	memset(out, 0, sizeof(*out));
	for (const char *line = text; *line;) {
		const char *eol = strchrnul(line, '\n');
		unsigned major, minor;
		if (sscanf(line, "%u:%u", &major, &minor) == 2) {
			struct cg_io_dev *d = dev_of(out, major, minor);
			uint64_t *field[] = { &d->rbytes, &d->wbytes, &d->rios, &d->wios, &d->dbytes, &d->dios };
			for (int k = 0; k < 6; k++) {
				const char *at = strstr(line, keys[k]);
				unsigned long long v;
				if (at && at < eol && (at == line || at[-1] == ' ') &&
				    sscanf(at + strlen(keys[k]), "%llu", &v) == 1)
					*field[k] = v;
			}
		}
		line = *eol ? eol + 1 : eol;
	}
	return keep_used(out);
}

/* Adds one v1 file's "8:0 Read 12" lines into counts (ops or bytes). */
static void blkio_add(const char *text, struct cg_io *out, bool bytes)
{
	for (const char *line = text; *line;) {
		const char *eol = strchrnul(line, '\n');
		unsigned major, minor;
		char op[16];
		unsigned long long v;
		if (sscanf(line, "%u:%u %15s %llu", &major, &minor, op, &v) == 4) {
			struct cg_io_dev *d = dev_of(out, major, minor);
			if (!strcmp(op, "Read"))
				*(bytes ? &d->rbytes : &d->rios) = v;
			else if (!strcmp(op, "Write"))
				*(bytes ? &d->wbytes : &d->wios) = v;
			else if (!strcmp(op, "Discard"))
				*(bytes ? &d->dbytes : &d->dios) = v;
		}
		line = *eol ? eol + 1 : eol;
	}
}

bool blkio_parse(const char *serviced, const char *bytes, struct cg_io *out)
{
	memset(out, 0, sizeof(*out));
	blkio_add(serviced, out, false);
	blkio_add(bytes, out, true);
	return keep_used(out);
}

bool cg_read_io(const struct cgroups *cg, const struct cg_paths *p, struct cg_io *out)
{
	static const char *const v1_sources[][2] = {
		{ "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_service_bytes_recursive" },
		{ "blkio.bfq.io_serviced_recursive", "blkio.bfq.io_service_bytes_recursive" },
	};
	struct cg_loc loc;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (!cg_locate(cg, p, CG_BLKIO, &loc))
		return false;
	if (loc.version == 2) {
		ok = cg_read_file(&loc, 0, "io.stat", &a) == 0 && io_stat_parse(sb_str(&a), out);
	} else {
		for (size_t s = 0; !ok && s < sizeof(v1_sources) / sizeof(v1_sources[0]); s++) {
			if (cg_read_file(&loc, 0, v1_sources[s][0], &a) < 0 ||
			    cg_read_file(&loc, 0, v1_sources[s][1], &b) < 0)
				continue;
			ok = blkio_parse(sb_str(&a), sb_str(&b), out);
			if (!ok)
				cg_io_free(out);
		}
	}
	sb_free(&a);
	sb_free(&b);
	return ok;
}

struct task_io_sum {
	uint64_t r, w;
	struct strbuf buf;
};

static bool add_process_io(pid_t pid, void *arg)
{
	struct task_io_sum *sum = arg;
	char rel[32];
	uint64_t r = 0, w = 0;

	snprintf(rel, sizeof(rel), "%d/io", (int)pid);
	if (host_read_proc_small(rel, &sum->buf) == 0 && kv_get_u64(sb_str(&sum->buf), "read_bytes:", &r) &&
	    kv_get_u64(sb_str(&sum->buf), "write_bytes:", &w)) {
		sum->r += r;
		sum->w += w;
	}
	return true;
}

bool cg_read_task_io(const struct cgroups *cg, const struct cg_paths *p, uint64_t *rbytes,
		     uint64_t *wbytes)
{
	struct task_io_sum sum = { 0, 0, STRBUF_INIT };
	bool ok = cg_for_each_listed(cg, p, "cgroup.procs", "cgroup.procs", add_process_io, &sum);
	sb_free(&sum.buf);
	*rbytes = sum.r;
	*wbytes = sum.w;
	return ok;
}
