/* The id lists of a cgroup ("tasks", "cgroup.procs", "cgroup.threads"):
 * cg_list_each, which the thread counts and the per-process I/O sums walk.
 * Each id it gives must be a positive number that starts a line of the
 * text, not one wrapped from a bigger number or taken from another line. */
#include <ctype.h>
#include <errno.h>

#include "fuzz.h"
#include "cgroup/cgroup.h"

struct seen {
	const char *text;
	const char *line; /* where the next id is searched from */
	unsigned left;
};

/* The next line at or after s->line starting with the decimal of id. */
static bool next_line_holds(struct seen *s, pid_t id)
{
	for (const char *line = s->line; *line;) {
		char *end;
		errno = 0;
		if (isdigit((unsigned char)*line) && strtoull(line, &end, 10) == (unsigned long long)id && !errno) {
			s->line = strchrnul(line, '\n');
			return true;
		}
		line = strchrnul(line, '\n');
		if (*line)
			line++;
	}
	return false;
}

static bool check_id(pid_t id, void *arg)
{
	struct seen *s = arg;
	if (id <= 0 || !next_line_holds(s, id))
		abort();
	return --s->left > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;

	fuzz_split(data, size, &in);
	/* Stopping early (fn returning false) is taken from the input too. */
	struct seen s = { in.part[0], in.part[0], (unsigned)(size % 7) + 1 };
	cg_list_each(in.part[0], check_id, &s);
	s = (struct seen){ in.part[0], in.part[0], UINT32_MAX };
	cg_list_each(in.part[0], check_id, &s);
	fuzz_free(&in);
	return 0;
}
