/* /proc/PID/stat: proc_stat_field (start time, ppid, ...), counted after
 * a "(comm)" that may hold spaces and parentheses, and proc_stat_state. */
#include "fuzz.h"
#include "cgroup/cgroup.h"
#include "util/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	uint64_t v;

	fuzz_split(data, size, &in);
	/* The start time (22) the reader uses, the edges, and past the end
	 * (a 6.x kernel writes 52 fields). */
	static const int fields[] = { -1, 0, 2, 3, 4, 22, 52, 53, 1000 };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		proc_stat_field(in.part[0], fields[i], &v);
	proc_stat_state(in.part[0]);
	fuzz_free(&in);
	return 0;
}
