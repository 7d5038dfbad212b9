"""Helpers of the distributed-mode tests (a module of its own: ``conftest`` names clash across test dirs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["HERE", "QHOST", "Procs", "gone", "runs", "sleep_inputs", "until", "worker_env"]

HERE = Path(__file__).resolve().parent
QHOST = [sys.executable, "-m", "qhost"]


def worker_env() -> dict[str, str]:
    """Environment of worker (and server) processes: the test program ``sleep`` importable."""
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return dict(os.environ, PYTHONPATH=path, QHOST_PROGRAMS="sleep=dist_progs:sleep,env=dist_progs:env")


class Procs:
    """Processes a test started; each is stopped by PID at the end (SIGTERM, then SIGKILL)."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([*QHOST, *args], env=env or worker_env(), start_new_session=True)
        self.started.append(proc)
        return proc

    def worker(self, broker: str, db: str, *extra: str) -> subprocess.Popen[bytes]:
        return self.start("worker", "--broker", broker, "--database-url", db, "--heartbeat", "0.5", *extra)

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def sleep_inputs(marker: Path, tag: str, seconds: float) -> str:
    return json.dumps({"marker": str(marker), "tag": tag, "seconds": seconds})


def runs(marker: Path) -> list[tuple[str, int]]:
    """``(tag, pid)`` of every run the marker file recorded."""
    if not marker.exists():
        return []
    return [(t, int(p)) for t, p in (line.split() for line in marker.read_text().splitlines())]


def until(check: Callable[[], object], timeout: float, what: str) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def gone(pid: int) -> bool:
    """The process has exited (or is a zombie); one that vanishes while being looked at counts as gone."""
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
