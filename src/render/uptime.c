#include "render/render.h"
#include "util/strbuf.h"

void render_uptime(struct strbuf *out, const struct uptime_input *in)
{
	double up = in->now - in->start;
	if (up < 0)
		up = 0;
	/* Idle time summed over the visible CPUs: what they could have run
	 * minus what the container ran, kept within [0, ncpus * uptime]. */
	double capacity = up * (in->ncpus ? in->ncpus : 1);
	double idle = in->have_cpu_used ? capacity - in->cpu_used : in->host_idle;
	if (idle < 0)
		idle = 0;
	if (idle > capacity)
		idle = capacity;
	sb_printf(out, "%.2f %.2f\n", up, idle);
}
