#include "util/slow.h"

#include <stdatomic.h>
#include <stddef.h>

typedef void (*hook_fn)(void);
static _Atomic hook_fn begin_hook, end_hook;

void slow_begin(void)
{
	hook_fn f = atomic_load_explicit(&begin_hook, memory_order_acquire);
	if (f)
		f();
}

void slow_end(void)
{
	hook_fn f = atomic_load_explicit(&end_hook, memory_order_acquire);
	if (f)
		f();
}

void slow_set_hooks(void (*begin)(void), void (*end)(void))
{
	atomic_store_explicit(&end_hook, end, memory_order_release);
	atomic_store_explicit(&begin_hook, begin, memory_order_release);
}
