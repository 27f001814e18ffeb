"""A reader in a container for resilience.sh: reads meminfo, stat and
cpuinfo in a loop (open, read to EOF, close) and re-reads an open stat at
offset 0, until STOP exists. Checks each answer, and that the stat
counters never go backwards. Writes one line to OUT:
    reads=N failures=N longest=SECONDS backwards=N first_error=...
"""
import os
import sys
import time

want_memtotal, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
reads = failures = backwards = 0
longest = 0.0
first_error = "-"
last_total = 0
held = os.open("/proc/stat", os.O_RDONLY)


def check(name, data):
    if name == "meminfo":
        line = data.split("\n", 1)[0].split()
        return line[:1] == ["MemTotal:"] and int(line[1]) == want_memtotal
    if name == "stat":
        return data.startswith("cpu ")
    return "processor" in data


def stat_total(data):
    return sum(int(x) for x in data.split("\n", 1)[0].split()[1:])


while not os.path.exists(stop):
    start = time.monotonic()
    for name in ("meminfo", "stat", "cpuinfo", "held"):
        try:
            if name == "held":
                data = os.pread(held, 1 << 20, 0).decode()
                ok = data.startswith("cpu ")
            else:
                with open("/proc/" + name) as f:
                    data = f.read()
                ok = check(name, data)
            if name in ("stat", "held"):
                total = stat_total(data)
                if total < last_total:
                    backwards += 1
                last_total = max(last_total, total)
        except (OSError, ValueError, IndexError) as e:
            ok, data = False, repr(e)
        reads += 1
        if not ok:
            failures += 1
            if first_error == "-":
                first_error = (name + ": " + data[:80]).replace("\n", "|")
    longest = max(longest, time.monotonic() - start)

with open(out, "w") as f:
    f.write(f"reads={reads} failures={failures} longest={longest:.3f} "
            f"backwards={backwards} first_error={first_error}\n")
