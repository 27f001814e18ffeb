/* A costly render's thread runs at the lowest priority and gets its own
 * back after, where that can be done. */
#include "tap.h"
#include "util/slow.h"

#include <errno.h>
#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>

static int nice_now(void)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, (id_t)gettid());
	return errno ? INT_MIN : n;
}

int main(void)
{
	int before = nice_now();
	int saved = slow_lower_priority();
	if (saved == INT_MIN) {
		/* Without CAP_SYS_NICE nor RLIMIT_NICE: never lowered. */
		is_u64((uint64_t)nice_now(), (uint64_t)before, "cannot be restored: the priority is left alone");
	} else {
		is_u64((uint64_t)saved, (uint64_t)before, "the thread's own nice value is kept");
		is_u64((uint64_t)nice_now(), 19, "during the section: nice 19");
		slow_restore_priority(saved);
		is_u64((uint64_t)nice_now(), (uint64_t)before, "after: its own again");
	}
	slow_restore_priority(INT_MIN);
	is_u64((uint64_t)nice_now(), (uint64_t)before, "restoring what was not lowered changes nothing");
	/* No hooks set: the long-section marks do nothing. */
	slow_begin();
	slow_end();
	ok(1, "slow_begin and slow_end without a request loop are no-ops");
	return tap_done();
}
