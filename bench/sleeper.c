/* A container's stand-in for the loadavg benchmark: reads MNT/proc/loadavg
 * once (so cviewfs starts sampling its cgroup), then sleeps with
 * THREADS threads until killed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int threads = atoi(argv[2]);
	for (int i = 1; i < threads; i++) {
		pthread_t t;
		pthread_create(&t, NULL, idle, NULL);
	}
	char buf[256];
	FILE *f = fopen(argv[1], "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		return 1;
	fclose(f);
	for (;;)
		pause();
}
