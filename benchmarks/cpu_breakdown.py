"""CPU time per process over a stretch of a benchmark, as milliseconds per job.

Used by ``distributed.py --cpu-breakdown``: snapshot the CPU time (user + system) of every process of
interest before and after the timed part, label each by its role (the benchmark process itself, the
``qhost worker`` launcher, worker parents, their warm children, ``redis-server``, each PostgreSQL backend
or auxiliary process) and report the difference divided by the number of jobs. A process that starts
during the stretch counts from zero; one that ends during it is missed (none do in the benchmark: the
workers, their children and the connection pools' backends live for the whole stretch).
"""

from __future__ import annotations

import os
from collections import defaultdict

import psutil

__all__ = ["Breakdown", "snapshot"]

Snapshot = dict[int, tuple[str, float]]


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _postgres_label(proc: psutil.Process) -> str:
    try:
        title = " ".join(proc.cmdline())
    except psutil.Error:
        return "postgres ?"
    if title.startswith("postgres: ") and title.count(" ") >= 3 and "127.0.0.1" in title:
        return "postgres backend"  # "postgres: user db 127.0.0.1(port) idle"
    return "postgres " + title.removeprefix("postgres: ").split(" ")[0] if title else "postgres ?"


def snapshot(worker_pids: list[int], redis_pid: int | None, postgres_pid: int | None) -> Snapshot:
    """``{pid: (role, cpu seconds)}`` for this process, the worker launchers' trees, Redis, PostgreSQL."""
    out: Snapshot = {}

    def add(proc: psutil.Process, role: str) -> None:
        try:
            out[proc.pid] = (role, _cpu(proc))
        except psutil.Error:
            pass

    add(psutil.Process(os.getpid()), "benchmark process (server engine)")
    for pid in worker_pids:
        try:
            launcher = psutil.Process(pid)
        except psutil.Error:
            continue
        add(launcher, "qhost worker launcher")
        for proc in launcher.children():
            add(proc, "worker parent (RQ)")
            for child in proc.children(recursive=True):
                add(child, "worker child (runs the job)")
    if redis_pid is not None:
        add(psutil.Process(redis_pid), "redis-server")
    if postgres_pid is not None:
        master = psutil.Process(postgres_pid)
        add(master, "postgres postmaster")
        for proc in master.children():
            add(proc, _postgres_label(proc))
    return out


class Breakdown:
    """CPU per role between two snapshots, in ms per job."""

    def __init__(self, before: Snapshot, after: Snapshot, jobs: int) -> None:
        self.jobs = jobs
        per_role: dict[str, float] = defaultdict(float)
        counts: dict[str, int] = defaultdict(int)
        for pid, (role, cpu) in after.items():
            per_role[role] += cpu - before.get(pid, (role, 0.0))[1]
            counts[role] += 1
        self.per_role = dict(per_role)
        self.counts = dict(counts)

    def lines(self) -> list[str]:
        rows = sorted(self.per_role.items(), key=lambda kv: -kv[1])
        total = sum(self.per_role.values())
        spin = self.per_role.get("worker child (runs the job)", 0.0)
        out = [f"CPU per job over {self.jobs} jobs (ms; processes):"]
        out += [f"  {role:38s} {1000 * s / self.jobs:8.2f}  ({self.counts[role]})" for role, s in rows]
        out.append(f"  {'total':38s} {1000 * total / self.jobs:8.2f}")
        out.append(f"  {'all but the job children':38s} {1000 * (total - spin) / self.jobs:8.2f}")
        return out
