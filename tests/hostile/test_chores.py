"""One poisoned row never stops a housekeeping chore for the others.

Before: a session stored with ``max_ttl=10**12`` (accepted then) made the 1 s expiry sweep fail every second
(``OverflowError``), so a ``max_ttl=1`` session nobody polled stayed open, across restarts.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qhost.engine import JobEngine
from qhost.engine.sessions import SessionManager
from qhost.jobs.status import JobStatus
from qhost.store import SqlStore


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[SessionManager]:
    engine = JobEngine(SqlStore(f"sqlite:///{tmp_path}/qhost.db"), process_workers=1, worker_mode="thread")
    manager = SessionManager(engine)
    engine.start()
    try:
        yield manager
    finally:
        engine.stop()


def _poison(manager: SessionManager, session_id: str, **values: object) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    row = {"id": session_id, "owner": "o", "backend": "b", "mode": "batch", "max_ttl": 60,
           "created_at": now, "accepting_jobs": 1, **values}  # fmt: skip
    database = manager.engine.store.where + "/qhost.db"
    with sqlite3.connect(database) as conn:
        names = ", ".join(row)
        conn.execute(
            f"INSERT INTO ibm_sessions ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
        )


def _closed_at(manager: SessionManager, session_id: str) -> object:
    with sqlite3.connect(manager.engine.store.where + "/qhost.db") as conn:
        return conn.execute("SELECT closed_at FROM ibm_sessions WHERE id = ?", (session_id,)).fetchone()[0]


def test_expiry_sweep_survives_poisoned_rows(sessions: SessionManager) -> None:
    _poison(sessions, "huge-ttl", max_ttl=10**12)
    _poison(sessions, "bad-date", created_at="not a date")
    short = sessions.create("o", "b", "batch", max_ttl=1)
    time.sleep(1.2)
    sessions.expire_due()  # (the engine's chore may have run it first: either way a sweep did)
    assert _closed_at(sessions, short.id) is not None  # the sweep got past both broken rows
    assert sessions.get("huge-ttl").is_open()  # a TTL past the end of time: open, not a crash


def test_engine_chore_closes_the_short_session_despite_the_poison(sessions: SessionManager) -> None:
    _poison(sessions, "huge-ttl", max_ttl=10**12)
    short = sessions.create("o", "b", "batch", max_ttl=1)
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        if _closed_at(sessions, short.id) is not None:
            return
        time.sleep(0.2)
    pytest.fail("the engine's expiry chore never closed the max_ttl=1 session")


def test_recovery_skips_a_row_it_cannot_fail(tmp_path: Path) -> None:
    from qhost.engine.recovery import recover
    from qhost.jobs.spec import JobSpec

    store = SqlStore(f"sqlite:///{tmp_path}/r.db")
    ids = [store.insert_job(JobSpec(program="counts", inputs="{}", backend="x"))[0].id for _ in range(2)]
    for _ in ids:
        store.claim_next()
    with sqlite3.connect(tmp_path / "r.db") as conn:  # a row no status change can be applied to
        conn.execute(f"CREATE TRIGGER boom BEFORE UPDATE ON jobs WHEN OLD.id = '{ids[0]}' BEGIN "
                     "SELECT RAISE(ABORT, 'poisoned row'); END")  # fmt: skip
    assert recover(store) == [ids[1]]
    assert store.get(ids[1]).status == JobStatus.FAILED
