"""Measure one command: wall and CPU seconds, CPU stall, and the memory of its process tree.

`measure(argv, ...)` runs ARGV and, from a thread, polls the summed VmRSS of
the command and all its descendants (nofsbot's worker processes, spatch's
forks) from /proc, using /proc/PID/task/*/children when the kernel has it and
the ppid in /proc/*/stat otherwise. wait4() gives the CPU time and ru_maxrss
(the largest single process); /proc/pressure/cpu tells how long runnable
tasks waited for a CPU meanwhile. See bench/scan.py for what the figures mean.
Standard library only.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# -- the process tree, from /proc ----------------------------------------------


def _children_files_work() -> bool:
    return Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()


def _children(pid: int) -> list[int]:
    """Direct children of PID from /proc/PID/task/*/children (CONFIG_PROC_CHILDREN)."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def _parents() -> dict[int, int]:
    """pid -> ppid for every process, from /proc/*/stat."""
    out: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            out[int(name)] = int(fields[1])
    return out


def _tree(root: int, use_children: bool) -> list[int]:
    if use_children:
        todo, seen = [root], []
        while todo:
            pid = todo.pop()
            seen.append(pid)
            todo += _children(pid)
        return seen
    kids: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        kids.setdefault(ppid, []).append(pid)
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo += kids.get(pid, [])
    return seen


def _rss(pid: int) -> int:
    """VmRSS of PID in bytes; 0 if it is gone (or a zombie, which has none)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class _Sampler(threading.Thread):
    """Polls the summed RSS of a process tree until stopped; keeps the peak."""

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop = threading.Event()
        self.use_children = _children_files_work()
        self.peak = 0
        self.samples = 0
        self.pids: set[int] = set()

    def sample(self) -> None:
        pids = _tree(self.root, self.use_children)
        self.pids.update(pids)
        self.peak = max(self.peak, sum(_rss(p) for p in pids))
        self.samples += 1

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)


# -- one command ---------------------------------------------------------------


def _cpu_stall_us() -> int | None:
    """Microseconds some runnable task waited for a CPU, machine-wide (PSI), if available."""
    try:
        with open("/proc/pressure/cpu") as f:
            some = f.readline().split()
    except OSError:
        return None
    return int(some[-1].removeprefix("total="))


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss: int  # bytes: peak of the summed VmRSS of the process tree
    max_rss: int  # bytes: ru_maxrss from wait4, the largest single process
    max_rss_floor: int  # bytes: this script's own ru_maxrss when it started the command
    samples: int
    processes: int
    cpu_seconds: float  # user + system time of the process tree (wait4)
    stall: float | None  # share of the wall time some task on the machine waited for a CPU


def measure(argv: list[str], *, cwd: Path, env: dict[str, str], out: Path, interval: float) -> Run:
    """Run ARGV with stdout to OUT and stderr to OUT.err; time it and watch its memory."""
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stall0 = _cpu_stall_us()
    with out.open("wb") as fo, out.with_suffix(".err").open("wb") as fe:
        t0 = time.perf_counter()
        # Popen returns once the child has exec'd, so no sample sees a copy of this script
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL
        )
        sampler = _Sampler(proc.pid, interval)
        sampler.sample()
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        stall1 = _cpu_stall_us()
        sampler.stop.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = out.with_suffix(".err").read_text(errors="replace")[-2000:]
        raise SystemExit(f"error: {' '.join(argv)} exited {proc.returncode}\n{tail}")
    stall = None if stall0 is None or stall1 is None else (stall1 - stall0) / 1e6 / seconds
    return Run(
        seconds=seconds,
        peak_rss=sampler.peak,
        max_rss=usage.ru_maxrss * 1024,
        max_rss_floor=floor,
        samples=sampler.samples,
        processes=len(sampler.pids),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        stall=stall,
    )
