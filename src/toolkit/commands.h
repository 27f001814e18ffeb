#ifndef CVIEWFS_TOOLKIT_COMMANDS_H
#define CVIEWFS_TOOLKIT_COMMANDS_H
#include "tk.h"

int cmd_hook(const tk_config *cfg);
int cmd_lxc_mount(const tk_config *cfg, const char *rootfs, bool cgroup);
int cmd_lxc_stop(const tk_config *cfg);
int cmd_remount(const tk_config *cfg, const char *id);
int cmd_umount(const tk_config *cfg, const char *id);
int cmd_check(const tk_config *cfg, double wait_s);
int cmd_prestart(const tk_config *cfg);
/* pidfile: NULL to show no process; metrics_file: NULL for the pid file's
 * path with ".prom" for ".pid". */
int cmd_status(const char *pidfile, const char *metrics_file);

#endif
