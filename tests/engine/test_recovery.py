"""Restart recovery: stale RUNNING rows fail with a reason, queued jobs run again, results survive kill -9."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from qhost.engine import RESTART_REASON, JobEngine, recover
from qhost.jobs import JobSpec, JobStatus
from qhost.store import SqlStore

Spec = Callable[..., JobSpec]


def _plant_running(store: SqlStore, make_spec: Spec, pid: int = 999_999, heartbeat: str | None = None) -> str:
    job_id = store.insert_job(make_spec())[0].id
    store.claim_next(pid)
    if heartbeat is not None:
        with store.transaction() as conn:
            conn.execute(
                sa.update(store.jobs).where(store.jobs.c.id == job_id).values(heartbeat_at=heartbeat)
            )
    return job_id


def test_recover_fails_stale_running_rows_with_the_reason(
    store: SqlStore, make_spec: Spec, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _plant_running(store, make_spec)
    with caplog.at_level(logging.WARNING, logger="qhost.engine.recovery"):
        assert recover(store) == [job_id]
    job = store.get(job_id)
    assert job.status is JobStatus.FAILED and job.error == RESTART_REASON
    assert f"recover: job {job_id} abandoned (pid 999999)" in caplog.text


def test_recover_leaves_live_and_recently_heard_jobs(store: SqlStore, make_spec: Spec) -> None:
    live = _plant_running(store, make_spec)
    fresh = _plant_running(store, make_spec)
    stale = _plant_running(store, make_spec, heartbeat="2000-01-01T00:00:00.000000+00:00")
    cutoff = datetime.now(UTC) - timedelta(minutes=1)
    assert recover(store, live_job_ids={live}, heartbeat_before=cutoff) == [stale]
    assert {store.get(live).status, store.get(fresh).status} == {JobStatus.RUNNING}


def test_one_failing_row_does_not_abort_the_batch(store: SqlStore, make_spec: Spec) -> None:
    bad = _plant_running(store, make_spec)
    good = _plant_running(store, make_spec)
    with store.transaction() as conn:
        conn.exec_driver_sql(
            f"CREATE TRIGGER no_fail BEFORE UPDATE ON jobs WHEN old.id = '{bad}' "
            "BEGIN SELECT RAISE(ABORT, 'row is locked'); END"
        )
    assert recover(store) == [good]
    assert store.get(bad).status is JobStatus.RUNNING


def test_start_fails_running_rows_and_runs_queued_ones(store: SqlStore, make_spec: Spec) -> None:
    stale = _plant_running(store, make_spec)
    queued = store.insert_job(make_spec())[0].id
    with JobEngine(store, worker_mode="thread") as engine:
        assert engine.wait(queued, timeout=10).status is JobStatus.COMPLETED
        assert engine.get(stale).error == RESTART_REASON


def _gone_soon(pid: int, timeout: float = 5.0) -> bool:
    """True once ``pid`` no longer runs (exited, or a zombie nobody reaped)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_restart_after_kill_9_keeps_results_and_runs_queued_jobs(db_url: str) -> None:
    child = Path(__file__).with_name("engine_child.py")
    proc = subprocess.Popen([sys.executable, str(child), db_url], stdout=subprocess.PIPE, text=True)
    try:
        ids = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]
    store = SqlStore(db_url)
    worker_pid = store.get(ids["running"]).worker_pid
    with JobEngine(store, worker_mode="thread") as engine:
        assert worker_pid is not None and _gone_soon(worker_pid)
        assert json.loads(engine.get(ids["done"]).result or "")["inputs"] == "kept"
        assert engine.get(ids["running"]).error == RESTART_REASON
        for i, job_id in enumerate(ids["queued"]):
            assert json.loads(engine.wait(job_id, timeout=20).result or "")["inputs"] == i
    store.close()
