/* /proc/PID/status: the last pid of "NSpid:" (is this the init of its pid
 * namespace?) and "PPid:" (the walk up to it). A pid either parser returns
 * must be the number the line holds, not a wrapped bigger one. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#include "fuzz.h"
#include "reader/reader.h"
#include "util/parse.h"

/* Does the line of key hold pid as one of its numbers? */
static bool line_holds(const char *status, const char *key, pid_t pid)
{
	const char *line = find_line(status, key, ":");
	const char *eol = line ? strchrnul(line, '\n') : NULL;
	for (const char *p = line; p && p < eol;) {
		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (!errno && v == (unsigned long long)pid)
			return true;
		p = end;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	pid_t pid;

	fuzz_split(data, size, &in);
	if (status_nspid_last(in.part[0], &pid) && (pid <= 0 || !line_holds(in.part[0], "NSpid", pid)))
		abort();
	if (status_ppid(in.part[0], &pid) && (pid <= 0 || !line_holds(in.part[0], "PPid", pid)))
		abort();
	fuzz_free(&in);
	return 0;
}
