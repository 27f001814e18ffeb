#include "render/render.h"
#include "util/strbuf.h"
#include "view/loadavg.h"

void render_loadavg(struct strbuf *out, const unsigned long avenrun[3], unsigned running,
		    unsigned total, long last_pid)
{
	char avg[64];
	loadavg_format(avenrun, avg, sizeof(avg));
	sb_printf(out, "%s %u/%u %ld\n", avg, running, total, last_pid);
}
