"""Faults with real processes: kill -9 of a worker, of the server, of Redis; late and shared workers.

Nothing acknowledged is lost (every submitted job ends, or waits, in SQL) and nothing runs twice (each
job's program notes every start in a marker file).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
from dist_helpers import HERE, Procs, gone, runs, sleep_inputs, until, worker_env
from dist_services import Redis

from qhost.engine.distributed.engine import LOST_REASON, RqJobEngine
from qhost.jobs import JobSpec, JobStatus
from qhost.store import SqlStore
from qhost.store.claims import run_info

pytestmark = pytest.mark.slow


def _sleep(engine: RqJobEngine, marker: Path, tag: str, seconds: float) -> Any:
    return engine.submit(
        JobSpec(program="sleep", backend="ideal@aer", inputs=sleep_inputs(marker, tag, seconds))
    )


def _gone(pid: int) -> bool:
    return gone(pid)  # no check-then-look race: a process vanishing mid-check is gone


def test_kill_9_worker_mid_job(
    engine: RqJobEngine, redis_url: str, database_url: str, procs: Procs, tmp_path: Path
) -> None:
    marker = tmp_path / "m"
    procs.worker(redis_url, database_url, "--queue", "aer", "-n", "1")
    job = _sleep(engine, marker, "victim", 60)
    until(lambda: runs(marker), 60, "the job to start")
    job_pid = runs(marker)[0][1]
    worker_pid = run_info(engine.store, [job.id])[job.id].pid
    os.kill(worker_pid, signal.SIGKILL)
    until(lambda: _gone(job_pid), 20, "the orphaned job process to die with its worker")
    record = until(lambda: (r := engine.get(job.id)).status.is_final and r, 15, "the job to fail")
    assert record.status is JobStatus.FAILED and record.error == LOST_REASON
    follow = _sleep(engine, marker, "after", 0.1)  # the launcher started a new worker process
    assert engine.wait(follow.id, 60).status is JobStatus.COMPLETED
    assert [t for t, _ in runs(marker)] == ["victim", "after"]  # the lost job was not run again


def test_kill_9_server_with_jobs_queued_and_running(
    redis_url: str, database_url: str, procs: Procs, sleep_program: None, tmp_path: Path
) -> None:
    marker = tmp_path / "m"
    procs.worker(redis_url, database_url, "--queue", "aer", "-n", "1")
    server = subprocess.Popen(
        [sys.executable, str(HERE / "server_child.py"), redis_url, database_url, str(marker)],
        stdout=subprocess.PIPE,
        env=worker_env(),
        text=True,
    )
    try:
        ids = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        until(lambda: runs(marker), 60, "the long job to start")
        server.kill()  # kill -9 while 'long' runs and three wait in the queue
    finally:
        server.kill()
        server.wait(10)
        server.stdout.close()  # type: ignore[union-attr]
    store = SqlStore(database_url)
    try:
        done = lambda: all(store.get(i).status is JobStatus.COMPLETED for i in ids)  # noqa: E731
        until(done, 60, "every job to complete with no server")  # workers need no server
        restarted = RqJobEngine(store, redis_url, lost_after_s=3.0)
        restarted.start()  # reconcile at start leaves finished and running work alone
        restarted.stop()
        assert all(store.get(i).status is JobStatus.COMPLETED for i in ids)
    finally:
        store.close()
    assert sorted(t for t, _ in runs(marker)) == ["long", "q1", "q2", "q3"]


def test_kill_9_redis_with_jobs_queued_then_late_worker(
    database_url: str, procs: Procs, sleep_program: None, tmp_path: Path
) -> None:
    marker = tmp_path / "m"
    redis = Redis().start()
    engine = RqJobEngine(SqlStore(database_url), redis.url, lost_after_s=3.0, reconcile_every_s=0.5)
    try:
        engine.start()
        jobs = [_sleep(engine, marker, f"j{i}", 0.1) for i in range(5)]
        # what kill -9 keeps is what Redis wrote to its AOF: wait until every job is there (no fixed sleep)
        until(lambda: all(j.id.encode() in _aof_bytes(redis) for j in jobs), 30, "the jobs in the AOF")
        redis.kill()
        down = _sleep(engine, marker, "while-down", 0.1)  # accepted into SQL, enqueued once Redis is back
        redis.start()
        procs.worker(redis.url, database_url, "--queue", "aer", "-n", "1")  # no worker until now
        for job in [*jobs, down]:
            assert engine.wait(job.id, 60).status is JobStatus.COMPLETED
        assert sorted(t for t, _ in runs(marker)) == sorted([f"j{i}" for i in range(5)] + ["while-down"])
    finally:
        engine.stop()
        engine.store.close()
        procs.stop_all()
        redis.close()


def test_kill_9_launcher_takes_its_workers_along(
    engine: RqJobEngine, redis_url: str, database_url: str, procs: Procs
) -> None:
    launcher = procs.worker(redis_url, database_url, "--queue", "aer", "-n", "2")
    until(lambda: len([s for s in engine.worker_snapshots() if s["state"] == "idle"]) == 2, 60, "2 workers")
    workers = [psutil.Process(s["pid"]) for s in engine.worker_snapshots()]
    children = [c for w in workers for c in w.children()]  # the warm job processes
    assert children
    os.kill(launcher.pid, signal.SIGKILL)
    until(lambda: all(_gone(p.pid) for p in [*workers, *children]), 20, "workers and job processes to die")


def _run_sleep(redis_url: str, database_url: str, marker: Path, tag: str, seconds: float, **kw: Any) -> Any:
    """One sleep job through a server engine of its own (``kw``: e.g. ``job_timeout``), to its end."""
    engine = RqJobEngine(SqlStore(database_url), redis_url, **kw)
    engine.start()
    try:
        return engine.wait(_sleep(engine, marker, tag, seconds).id, 120)
    finally:
        engine.stop()
        engine.store.close()


def test_job_timeout_kills_the_job_and_the_worker_goes_on(
    redis_url: str, database_url: str, procs: Procs, sleep_program: None, tmp_path: Path
) -> None:
    marker = tmp_path / "m"
    procs.worker(redis_url, database_url, "--queue", "aer", "-n", "1")
    # without a timeout: a job process's first job pays its imports, which must not count against 1 s
    assert _run_sleep(redis_url, database_url, marker, "warm-up", 0.1).status is JobStatus.COMPLETED
    record = _run_sleep(redis_url, database_url, marker, "slow", 60, job_timeout=1)  # --job-timeout 1
    assert record.status is JobStatus.FAILED and record.error.startswith("timed out"), record.error
    slow_pid = dict(runs(marker))["slow"]
    until(lambda: _gone(slow_pid), 20, "the timed-out job's process to die")
    assert _run_sleep(redis_url, database_url, marker, "next", 0.1).status is JobStatus.COMPLETED
    assert dict(runs(marker))["next"] != slow_pid


def _aof_bytes(redis: Redis) -> bytes:
    """Everything Redis has written to its append-only files so far (Redis 7: ``appendonlydir/``)."""
    files = [p for p in redis.dir.rglob("*.aof") if p.is_file()]
    return b"".join(p.read_bytes() for p in files)
