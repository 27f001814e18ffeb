"""A reader in a container for resilience.sh and crash.sh: reads meminfo,
stat, cpuinfo and uptime in a loop (open, read to EOF, close) and re-reads
an open stat at offset 0, until STOP exists. Checks each answer, and that
no counter it has seen ever goes back: every field of every "cpu" line of
/proc/stat, and the uptime. Writes one line to OUT:
    reads=N failures=N longest=SECONDS backwards=N first_error=... first_backwards=...
"""
import os
import sys
import time

want_memtotal, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
reads = failures = backwards = 0
longest = 0.0
first_error = first_backwards = "-"
seen = {}  # counter name -> highest value seen
held = os.open("/proc/stat", os.O_RDONLY)


def check(name, data):
    if name == "meminfo":
        line = data.split("\n", 1)[0].split()
        return line[:1] == ["MemTotal:"] and int(line[1]) == want_memtotal
    if name in ("stat", "held"):
        return data.startswith("cpu ")
    if name == "uptime":
        return len(data.split()) == 2
    return "processor" in data


def counters(name, data):
    """(counter name, value) for every counter in a stat or uptime text."""
    if name == "uptime":
        yield "uptime", float(data.split()[0])
        return
    for line in data.splitlines():
        if not line.startswith("cpu"):
            continue
        label, *fields = line.split()
        for i, v in enumerate(fields):
            yield f"{label}[{i}]", int(v)


while not os.path.exists(stop):
    start = time.monotonic()
    for name in ("meminfo", "stat", "cpuinfo", "uptime", "held"):
        try:
            if name == "held":
                data = os.pread(held, 1 << 20, 0).decode()
            else:
                with open("/proc/" + name) as f:
                    data = f.read()
            ok = check(name, data)
            if ok and name in ("stat", "held", "uptime"):
                for key, value in counters(name, data):
                    if value < seen.get(key, value):
                        backwards += 1
                        if first_backwards == "-":
                            first_backwards = f"{key}:{seen[key]}->{value}"
                    seen[key] = max(seen.get(key, value), value)
        except (OSError, ValueError, IndexError) as e:
            ok, data = False, repr(e)
        reads += 1
        if not ok:
            failures += 1
            if first_error == "-":
                first_error = (name + ": " + data[:80]).replace("\n", "|").replace(" ", "_")
    longest = max(longest, time.monotonic() - start)

with open(out, "w") as f:
    f.write(f"reads={reads} failures={failures} longest={longest:.3f} "
            f"backwards={backwards} first_error={first_error} first_backwards={first_backwards}\n")
