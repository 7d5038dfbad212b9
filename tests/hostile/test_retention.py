"""Retention: old finished jobs lose their params, then go; the SQLite file stops growing (space reused)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qhost.config import Settings
from qhost.engine import JobEngine
from qhost.engine.chores.retention import EXPIRED_PARAMS, Retention
from qhost.errors import ConfigurationError, JobNotFound
from qhost.jobs.spec import JobSpec
from qhost.jobs.status import JobStatus
from qhost.store import SqlStore

DAY = timedelta(days=1)


def _job(store: SqlStore, finished_days_ago: float | None, payload: int = 2000) -> str:
    spec = JobSpec(
        program="counts", inputs=json.dumps({"qasm": "x" * payload}), backend="ideal@aer", owner="o"
    )
    record, _ = store.insert_job(spec)
    if finished_days_ago is None:
        return record.id
    claimed = store.claim_next()
    assert claimed is not None and claimed.id == record.id
    store.finish(
        record.id, JobStatus.COMPLETED, result=json.dumps({"counts": {"0": 1}, "pad": "r" * payload})
    )
    when = (datetime.now(UTC) - finished_days_ago * DAY).isoformat(timespec="microseconds")
    with sqlite3.connect(store.where + "/qhost.db") as conn:
        conn.execute("UPDATE jobs SET finished_at = ? WHERE id = ?", (when, record.id))
    return record.id


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    return SqlStore(f"sqlite:///{tmp_path}/qhost.db")


def test_params_then_jobs_expire(store: SqlStore) -> None:
    fresh, week, month, queued = _job(store, 1), _job(store, 8), _job(store, 31), _job(store, None)
    report = Retention(days=30, params_days=7).apply(store)
    assert (report.params_dropped, report.jobs_deleted) == (2, 1)  # week and month lose params; month goes
    assert store.get(fresh).spec.inputs != EXPIRED_PARAMS
    kept = store.get(week)
    assert kept.spec.inputs == EXPIRED_PARAMS and kept.status == JobStatus.COMPLETED and kept.result
    with pytest.raises(Exception, match=month):
        store.get(month)
    assert store.get(queued).status == JobStatus.QUEUED
    again = Retention(days=30, params_days=7).apply(store)
    assert (again.params_dropped, again.jobs_deleted) == (0, 0)


def test_zero_keeps_forever(store: SqlStore) -> None:
    old = _job(store, 3650)
    assert Retention(days=0, params_days=0).apply(store) == Retention(0, 0).apply(store)
    assert store.get(old).spec.inputs != EXPIRED_PARAMS


@pytest.mark.slow
def test_freed_space_is_reused(store: SqlStore) -> None:
    db = Path(store.where) / "qhost.db"
    for _ in range(300):
        _job(store, 40, payload=4000)
    Retention(days=30, params_days=7).apply(store)
    wal = Path(str(db) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated after the purge
    size_after_purge = db.stat().st_size
    for _ in range(300):
        _job(store, 1, payload=4000)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    grown = db.stat().st_size - size_after_purge
    assert grown < 0.1 * size_after_purge, (size_after_purge, grown)  # the freed pages were reused


def test_the_engine_runs_it_as_a_chore(store: SqlStore) -> None:
    old = _job(store, 40)
    engine = JobEngine(store, process_workers=1, thread_workers=1, worker_mode="thread")
    Retention(days=30, params_days=7).install(engine, every_s=0.2)
    engine.start()
    try:
        deadline = time.monotonic() + 30  # the chore runs every 0.2 s; 30 s holds on a loaded machine
        while time.monotonic() < deadline:
            try:
                store.get(old)
            except JobNotFound:  # deleted; any other error fails the test
                break
            time.sleep(0.1)
        else:
            pytest.fail("the retention chore never deleted the 40-day-old job")
    finally:
        engine.stop()


def test_settings_from_environment() -> None:
    settings = Settings.from_env({"QHOST_RETENTION_DAYS": "5", "QHOST_RETENTION_PARAMS_DAYS": "1.5"})
    assert (settings.retention_days, settings.retention_params_days) == (5.0, 1.5)
    assert Settings().retention_days == 30.0 and Settings().retention_params_days == 7.0
    with pytest.raises(ConfigurationError, match="retention_days"):
        Settings.from_env({"QHOST_RETENTION_DAYS": "-1"})


def test_old_qrisp_deployments_go_with_old_jobs(store: SqlStore) -> None:
    from qhost.server.deployments import DeploymentStore

    deployments = DeploymentStore(store)
    old, fresh = deployments.create(("OPENQASM 2.0;",)), deployments.create(("OPENQASM 2.0;",))
    month_ago = datetime.now(UTC) - 31 * DAY
    with store.transaction() as conn:
        conn.execute(
            deployments.table.update().where(deployments.table.c.id == old.id).values(created_at=month_ago)
        )
    report = Retention(days=30, params_days=7).apply(store)
    assert report.other_rows_deleted == 1
    with pytest.raises(Exception, match=old.id):
        deployments.get(old.id)
    assert deployments.get(fresh.id).id == fresh.id
    assert Retention(days=0, params_days=0).apply(store).other_rows_deleted == 0


def test_a_server_puts_deployments_under_retention_before_any_upload(tmp_path: Path) -> None:
    from qhost.engine.chores.retention import RETENTION_COLUMN
    from qhost.server.app import create_app

    app = create_app(Settings(data_dir=tmp_path, worker_mode="thread", process_workers=1))
    try:
        tables = app.extensions["qhost"].engine.store.tables()
        assert [t.name for t in tables if RETENTION_COLUMN in t.info] == ["qrisp_deployments"]
    finally:
        app.extensions["qhost"].close()
