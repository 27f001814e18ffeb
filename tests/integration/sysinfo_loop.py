#!/usr/bin/env python3
"""sysinfo(2) in a loop inside a container until STOP exists; then writes
"calls N failed F enosys E wrong W" to RESULT, where wrong counts calls
whose totalram x mem_unit was not WANT bytes.

  sysinfo_loop.py WANT_BYTES STOP RESULT"""
import ctypes
import os
import sys


class Sysinfo(ctypes.Structure):
    _fields_ = [("uptime", ctypes.c_long), ("loads", ctypes.c_ulong * 3), ("totalram", ctypes.c_ulong),
                ("freeram", ctypes.c_ulong), ("sharedram", ctypes.c_ulong), ("bufferram", ctypes.c_ulong),
                ("totalswap", ctypes.c_ulong), ("freeswap", ctypes.c_ulong), ("procs", ctypes.c_ushort),
                ("pad", ctypes.c_ushort), ("totalhigh", ctypes.c_ulong), ("freehigh", ctypes.c_ulong),
                ("mem_unit", ctypes.c_uint), ("_f", ctypes.c_char * 8)]


def main():
    want, stop, result = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    libc = ctypes.CDLL(None, use_errno=True)
    si = Sysinfo()
    calls = failed = enosys = wrong = 0
    while not os.path.exists(stop):
        for _ in range(100):
            calls += 1
            if libc.sysinfo(ctypes.byref(si)) != 0:
                failed += 1
                enosys += ctypes.get_errno() == 38
            elif si.totalram * si.mem_unit != want:
                wrong += 1
    with open(result + ".tmp", "w") as f:
        f.write(f"calls {calls} failed {failed} enosys {enosys} wrong {wrong}\n")
    os.rename(result + ".tmp", result)


main()
