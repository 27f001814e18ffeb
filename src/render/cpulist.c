#include "render/render.h"
#include "util/cpumask.h"
#include "util/strbuf.h"

void render_cpulist(struct strbuf *out, const struct cpumask *cpus)
{
	cpumask_format(cpus, out);
	sb_putc(out, '\n');
}
