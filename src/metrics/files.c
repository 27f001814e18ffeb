/* The labels of reads per file: the table of virtual files (fs/files.h).
 * Apart from metrics.c, which the cgroup layer's fallbacks need without
 * the file table. */
#include "fs/files.h"
#include "metrics/metrics.h"

#include <stdio.h>

void metrics_register_files(void)
{
	char name[64];
	for (unsigned f = 0; f < nr_vfiles && f < METRICS_FILE_CPU_ONLINE; f++) {
		snprintf(name, sizeof(name), "%s/%s", vfiles[f].dir, vfiles[f].name);
		metrics_register_file(f, name);
	}
	metrics_register_file(METRICS_FILE_CPU_ONLINE, "sys/devices/system/cpu/cpuN/online");
	metrics_register_file(METRICS_FILE_CGROUP, "cgroup");
	/* METRICS_FILE_OTHER: nothing is there today. */
}
