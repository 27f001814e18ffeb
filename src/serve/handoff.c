#include "serve/handoff.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *handoff_format(const struct handoff *h)
{
	return xasprintf("fuse=%d,init=%d,journal=%d,state=%d,ready=%d,go=%d,gen=%u,virt=%d",
			 h->fuse_fd, h->init_fd, h->journal_fd, h->state_fd, h->ready_fd, h->go_fd,
			 h->generation, h->virtualize ? 1 : 0);
}

int handoff_parse(const char *s, struct handoff *h)
{
	int virt, end = 0;

	h->inflight_fd = h->metrics_fd = h->agent_fd = -1;
	if (sscanf(s, "fuse=%d,init=%d,journal=%d,state=%d,ready=%d,go=%d,gen=%u,virt=%d%n",
		   &h->fuse_fd, &h->init_fd, &h->journal_fd, &h->state_fd, &h->ready_fd, &h->go_fd,
		   &h->generation, &virt, &end) != 8 || s[end] || h->fuse_fd < 0 || h->init_fd < 0)
		return -1;
	h->virtualize = virt != 0;
	return 0;
}

char *handoff_format_more(const struct handoff *h)
{
	return xasprintf("inflight=%d,metrics=%d,agent=%d", h->inflight_fd, h->metrics_fd, h->agent_fd);
}

/* The descriptor number after "name=" at p, or -1. */
static int fd_field(const char *p, const char *name)
{
	size_t len = strlen(name);
	char *end;
	if (strncmp(p, name, len) || p[len] != '=')
		return -1;
	long v = strtol(p + len + 1, &end, 10);
	return end != p + len + 1 && (*end == ',' || !*end) && v >= 0 && v < 1 << 20 ? (int)v : -1;
}

void handoff_parse_more(const char *s, struct handoff *h)
{
	h->inflight_fd = h->metrics_fd = h->agent_fd = -1;
	for (const char *p = s; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		int fd;
		if ((fd = fd_field(p, "inflight")) >= 0)
			h->inflight_fd = fd;
		else if ((fd = fd_field(p, "metrics")) >= 0)
			h->metrics_fd = fd;
		else if ((fd = fd_field(p, "agent")) >= 0)
			h->agent_fd = fd;
	}
}
