"""Housekeeping the dispatcher runs on its own: periodic chores, and closing sessions past max_ttl."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from qhost.engine import JobEngine
from qhost.engine.sessions import SessionManager
from qhost.jobs import JobStatus


def _until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_chore_runs_again_and_again(engine: JobEngine) -> None:
    ticks = threading.Semaphore(0)
    engine.every(0.01, ticks.release)
    assert all(ticks.acquire(timeout=5) for _ in range(3))


def test_a_failing_chore_does_not_stop_the_others(engine: JobEngine, make_spec: Any) -> None:
    def broken() -> None:
        raise RuntimeError("chore failed")

    ticks = threading.Semaphore(0)
    engine.every(0.01, broken)
    engine.every(0.01, ticks.release)
    assert all(ticks.acquire(timeout=5) for _ in range(3))
    assert engine.wait(engine.submit(make_spec("echo")).id, timeout=10).status is JobStatus.COMPLETED


def test_an_expired_session_nobody_asks_about_cancels_its_queued_jobs(
    engine: JobEngine, make_spec: Any
) -> None:
    sessions = SessionManager(engine)
    rec = sessions.create("", "fake_manila@aer", "dedicated", max_ttl=1)
    running = engine.submit(make_spec("sleepy", "2.5", session_id=rec.id, serial_key=rec.serial_key))
    queued = engine.submit(make_spec("echo", "x", session_id=rec.id, serial_key=rec.serial_key))
    assert _until(lambda: engine.get(running.id).status is JobStatus.RUNNING)
    # no session call and no status poll of the queued job from here on: only the sweep can act
    assert _until(lambda: engine.get(queued.id).status is JobStatus.CANCELLED, timeout=2.4)
    assert _closed_at(sessions, rec.id) is not None
    assert engine.wait(running.id, timeout=10).status is JobStatus.COMPLETED  # a running job finishes


def test_the_sweep_leaves_live_sessions_alone(engine: JobEngine) -> None:
    sessions = SessionManager(engine)
    rec = sessions.create("", "fake_manila@aer", "batch", max_ttl=3600)
    assert sessions.expire_due() == []
    assert _closed_at(sessions, rec.id) is None


def _closed_at(sessions: SessionManager, session_id: str) -> Any:
    """The stored ``closed_at``, read without ``SessionManager.get`` (which would apply expiry itself)."""
    query = sa.select(sessions.table.c.closed_at).where(sessions.table.c.id == session_id)
    with sessions.engine.store.reading() as conn:
        return conn.execute(query).scalar_one()
