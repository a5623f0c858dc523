#!/usr/bin/env python3
"""CPU seconds per thread role of one `umiflow` run (or any JVM command), for finding where a run's CPU goes
outside the workers' own work.

    bench/scripts/thread-cpu.py ./umiflow group -i in.bam -o out.bam --threads 2 -q

Runs the command, reads every thread's user + system ticks from /proc every 0.1 s (the last reading is at most
0.1 s before the JVM exits), and once the JVM is up asks `jcmd Thread.print` for the full thread names (Linux
keeps only 15 characters, which cannot tell the worker dispatcher from the I/O one). Prints wall seconds and
CPU seconds per role: workers (umiflow.worker-dispatcher: inflating, grouping, processing, deflating), io
(umiflow.io-dispatcher: reading and writing the files), C2, C1, GC, and the rest.

Why: on 2 cores `--threads 2` keeps both cores busy, so its wall time is about (workers + rest) / 2, while at
`--threads 1` the wall time is the one worker's CPU and the JIT, I/O and GC threads run on the idle core.
The speed-up from 1 to 2 threads is therefore at most 2 W / (W + O) for W the workers' CPU and O the rest's.
Costs: one `jcmd` attach after the first second (0.14 CPU s here, in a process of its own) and the /proc
polling (~1% of a core). The `jcmd` on PATH must be of the run's JDK; when it cannot attach, the dispatcher
threads count as "rest".
"""
import collections
import os
import re
import subprocess
import sys
import time

ROLES = [("workers", re.compile(r"worker-dispatcher")), ("io", re.compile(r"io-dispatcher")),
         ("C2", re.compile(r"^C2 Compiler")), ("C1", re.compile(r"^C1 Compiler")), ("GC", re.compile(r"^GC Thread"))]
HZ = os.sysconf("SC_CLK_TCK")


def java_pid(root):
    """The JVM: the process itself, or the child the launcher script exec'd or started."""
    pids = [root]
    while pids:
        pid = pids.pop()
        try:
            if open(f"/proc/{pid}/comm").read().strip() == "java":
                return pid
            for task in os.listdir(f"/proc/{pid}/task"):
                pids += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except OSError:
            pass
    return None


def ticks(pid):
    """tid -> (short name, user + system ticks) for every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(tid)] = (stat[stat.index("(") + 1:stat.rindex(")")], int(fields[11]) + int(fields[12]))
    return out


def full_names(jcmd):
    """tid -> full Java thread name, from the finished jcmd (empty when it failed or never ran)."""
    if jcmd is None:
        return {}
    try:
        text = jcmd.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        jcmd.kill()
        return {}
    return {int(m.group(2), 16): m.group(1) for m in re.finditer(r'^"([^"]*)".*?nid=0x([0-9a-f]+)', text, re.M)}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    start = time.monotonic()
    child = subprocess.Popen(sys.argv[1:])
    last, jcmd, jvm = {}, None, None
    while child.poll() is None:
        jvm = jvm or java_pid(child.pid)
        if jvm:
            try:
                now = ticks(jvm)
            except OSError:
                now = {}
            if sum(t for _, t in now.values()) >= sum(t for _, t in last.values()):
                last = now  # an exiting JVM's threads read as gone or zero: keep the last full reading
            if jcmd is None and time.monotonic() - start > 1.0:  # runs beside the polling, which must not stop
                jcmd = subprocess.Popen(["jcmd", str(jvm), "Thread.print"], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.1)
    wall = time.monotonic() - start
    names = full_names(jcmd)
    cpu = collections.Counter()
    for tid, (short, t) in last.items():
        name = names.get(tid, short)
        role = next((r for r, p in ROLES if p.search(name)), "rest")
        cpu[role] += t / HZ
    print(f"wall {wall:.2f} s  CPU {sum(cpu.values()):.2f} s  " + "  ".join(
        f"{r} {cpu[r]:.2f}" for r in [r for r, _ in ROLES] + ["rest"]))
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
