/* Realistic host texts a target falls back to when its input does not
 * carry one (see fuzz.h): short captures from a Linux 6.1 x86_64 host. */
#ifndef CVIEWFS_FUZZ_DEFAULTS_H
#define CVIEWFS_FUZZ_DEFAULTS_H

static const char default_meminfo[] =
	"MemTotal:       16315516 kB\n"
	"MemFree:         9125212 kB\n"
	"MemAvailable:   13911836 kB\n"
	"Buffers:          301980 kB\n"
	"Cached:          4601000 kB\n"
	"SwapCached:            0 kB\n"
	"Active:          2870520 kB\n"
	"Inactive:        3634032 kB\n"
	"Active(anon):       6044 kB\n"
	"Inactive(anon):  1604116 kB\n"
	"Active(file):    2864476 kB\n"
	"Inactive(file):  2029916 kB\n"
	"Unevictable:           0 kB\n"
	"Mlocked:               0 kB\n"
	"SwapTotal:       2097148 kB\n"
	"SwapFree:        2097148 kB\n"
	"Zswap:                 0 kB\n"
	"Zswapped:              0 kB\n"
	"Dirty:               724 kB\n"
	"Writeback:             0 kB\n"
	"AnonPages:       1601740 kB\n"
	"Mapped:           642264 kB\n"
	"Shmem:              8420 kB\n"
	"KReclaimable:     213644 kB\n"
	"Slab:             346272 kB\n"
	"SReclaimable:     213644 kB\n"
	"SUnreclaim:       132628 kB\n"
	"AnonHugePages:    260096 kB\n"
	"HugePages_Total:       0\n";

static const char default_memory_stat_v2[] =
	"anon 209715200\nfile 104857600\nkernel 12582912\nshmem 8388608\nzswap 1572864\n"
	"zswapped 6291456\nfile_mapped 31457280\nfile_dirty 135168\nfile_writeback 57344\n"
	"anon_thp 12582912\ninactive_anon 178257920\nactive_anon 39845888\n"
	"inactive_file 62914560\nactive_file 41943040\nunevictable 393216\n"
	"slab_reclaimable 7340032\nslab_unreclaimable 2097152\nslab 9437184\n";

static const char default_stat[] =
	"cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0\n"
	"cpu0 1393280 32966 572056 13366730 2134 0 10026 0 55233 0\n"
	"cpu1 1335405 35427 485463 13509034 11212 0 6095 0 41264 0\n"
	"cpu2 3664400 111245 1030432 9865226 1749 0 4716 0 39757 0\n"
	"cpu3 3739067 111057 996767 10087492 1587 0 4357 0 39372 0\n"
	"intr 199292 75 0 0 0 0 0 0 0 1 0 0 0 0\n"
	"ctxt 23434934\n"
	"btime 1700000000\n"
	"processes 1240503\n"
	"procs_running 3\n"
	"procs_blocked 0\n"
	"softirq 12121112 0 3000 1 4000 2000 0 1000 3000000 0 2000000\n";

static const char default_cpu_stat_v2[] =
	"usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\n"
	"nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n";

static const char default_diskstats[] =
	"   7       0 loop0 52 0 2170 14 0 0 0 0 0 40 14 0 0 0 0 0 0\n"
	"   8       0 sda 36874 10528 2890266 9761 98654 78722 3894538 76423 0 89048 93119 0 0 0 0 4630 6934\n"
	"   8       1 sda1 36723 10528 2883338 9729 98652 78722 3894538 76421 0 89032 86150 0 0 0 0 0 0\n"
	" 259       0 nvme0n1 1520 0 61986 413 2 0 16 0 0 540 413 0 0 0 0 0 0\n"
	" 253       0 dm-0 43 0 1754 4 0 0 0 0 0 12 4 0 0 0 0 0 0\n";

static const char default_partitions[] =
	"major minor  #blocks  name\n"
	"\n"
	"   7        0      63580 loop0\n"
	"   8        0  488386584 sda\n"
	"   8        1  488385536 sda1\n"
	" 259        0  500107608 nvme0n1\n"
	" 253        0   20971520 dm-0\n";

#endif
