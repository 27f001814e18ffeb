"""The kill loop of crash.sh: KILLS times, stops the serving process of
supervisor SUP (SIGSTOP), waits 0.5 to 5 ms so it is likely caught in the
middle of requests, kills it (SIGKILL) and waits until a successor answers
a read of MNT/proc/uptime. Gives up after SECONDS in all. Kills are at
least 260 ms apart: the supervisor pauses a second after five deaths
within one (a crash loop), which would only slow the test.
Prints: kills=N slowest_ms=N seconds=N
"""
import os
import random
import signal
import sys
import time

sup, mnt, kills, limit = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])


def serving():
    """The supervisor's newest serving child (an old one may still be exiting)."""
    best = None
    try:
        children = open(f"/proc/{sup}/task/{sup}/children").read().split()
    except OSError:
        return None
    for c in children:
        try:
            # a serving process's image, not a child forked and not yet exec'd
            if b"\0CVIEWFS_SERVE=" not in b"\0" + open(f"/proc/{c}/environ", "rb").read():
                continue
            start = int(open(f"/proc/{c}/stat").read().rsplit(")", 1)[1].split()[19])
        except (OSError, IndexError, ValueError):
            continue
        if best is None or start > best[0]:
            best = (start, int(c))
    return best[1] if best else None


def answers():
    try:
        with open(os.path.join(mnt, "proc/uptime")) as f:
            return bool(f.read(1))
    except OSError:
        return False


begin = time.monotonic()
done = slowest = 0
while done < kills and time.monotonic() - begin < limit:
    round_start = time.monotonic()
    old = serving()
    if old is None:
        time.sleep(0.01)
        continue
    os.kill(old, signal.SIGSTOP)
    time.sleep(random.uniform(0.0005, 0.005))
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    while time.monotonic() - begin < limit:
        new = serving()
        if new is not None and new != old and answers():
            break
        time.sleep(0.002)
    else:
        break
    done += 1
    slowest = max(slowest, int((time.monotonic() - t0) * 1000))
    time.sleep(max(0.0, 0.26 - (time.monotonic() - round_start)))
print(f"kills={done} slowest_ms={slowest} seconds={int(time.monotonic() - begin)}")
