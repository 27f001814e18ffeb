#include "serve/handoff.h"
#include "util/strbuf.h"

#include <stdio.h>

char *handoff_format(const struct handoff *h)
{
	return xasprintf("fuse=%d,init=%d,journal=%d,state=%d,ready=%d,go=%d,gen=%u,virt=%d",
			 h->fuse_fd, h->init_fd, h->journal_fd, h->state_fd, h->ready_fd, h->go_fd,
			 h->generation, h->virtualize ? 1 : 0);
}

int handoff_parse(const char *s, struct handoff *h)
{
	int virt, end = 0;

	if (sscanf(s, "fuse=%d,init=%d,journal=%d,state=%d,ready=%d,go=%d,gen=%u,virt=%d%n",
		   &h->fuse_fd, &h->init_fd, &h->journal_fd, &h->state_fd, &h->ready_fd, &h->go_fd,
		   &h->generation, &virt, &end) != 8 || s[end] || h->fuse_fd < 0 || h->init_fd < 0)
		return -1;
	h->virtualize = virt != 0;
	return 0;
}
