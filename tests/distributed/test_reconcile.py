"""The server side without workers: enqueue, cancel with no worker online, reconcile, serial heads."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dist_helpers import sleep_inputs
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from qhost.engine.distributed.common import RUN_JOB, SafeJob, connect_broker
from qhost.engine.distributed.engine import LOST_REASON
from qhost.errors import ConfigurationError
from qhost.jobs import JobSpec, JobStatus


def _spec(tmp_path: Path, tag: str = "a", **fields: Any) -> JobSpec:
    return JobSpec(
        program="sleep", backend="ideal@aer", inputs=sleep_inputs(tmp_path / "m", tag, 0.1), **fields
    )


def _queued_ids(redis_url: str, name: str = "aer") -> list[str]:
    return Queue(name, connection=connect_broker(redis_url), serializer=JSONSerializer).get_job_ids()


def test_only_the_id_travels_as_json_without_timeout(engine: Any, redis_url: str, tmp_path: Path) -> None:
    job = engine.submit(_spec(tmp_path))
    assert _queued_ids(redis_url) == [job.id]
    conn = connect_broker(redis_url)
    raw = conn.hgetall(f"rq:job:{job.id}")
    data = zlib.decompress(raw[b"data"]).decode()  # RQ compresses the call; inside is JSON, not pickle
    assert json.loads(data) == [RUN_JOB, None, [job.id], {}]
    assert int(raw[b"timeout"]) == -1  # no 180 s RQ default
    assert b"marker" not in b"".join(raw.values())  # the inputs stay in SQL


def test_cancel_queued_with_no_worker_online(engine: Any, redis_url: str, tmp_path: Path) -> None:
    job = engine.submit(_spec(tmp_path))
    assert engine.cancel(job.id).status is JobStatus.CANCELLED
    assert _queued_ids(redis_url) == []
    rq_job = Job.fetch(job.id, connection=connect_broker(redis_url), serializer=JSONSerializer)
    assert rq_job.get_status() == "canceled"
    assert engine.queue_report(["aer"])["aer"] == {"workers": 0, "queued": 0, "state": "no worker online"}


def test_reconcile_enqueues_queued_jobs_redis_lost(engine: Any, redis_url: str, tmp_path: Path) -> None:
    jobs = [engine.submit(_spec(tmp_path, str(i))) for i in range(3)]
    connect_broker(redis_url).flushall()  # as if Redis lost its last second (or all) of writes
    done = engine.reconcile(grace_s=0.0)
    assert sorted(done["enqueued"]) == sorted(j.id for j in jobs)
    assert _queued_ids(redis_url) == [j.id for j in jobs]  # submission order kept
    assert engine.reconcile(grace_s=0.0)["enqueued"] == []  # present now: not enqueued twice


def test_stale_running_job_fails_as_worker_lost_never_rerun(engine: Any, tmp_path: Path) -> None:
    job = engine.submit(_spec(tmp_path))
    old = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    t = engine.store.jobs
    with engine.store.transaction() as conn:  # a worker claimed it, then its machine vanished
        conn.execute(sa.update(t).where(t.c.id == job.id).values(status="running", heartbeat_at=old))
    assert engine.reconcile()["failed"] == [job.id]
    record = engine.get(job.id)
    assert record.status is JobStatus.FAILED and record.error == LOST_REASON


def test_dedicated_session_enqueues_one_job_at_a_time(engine: Any, redis_url: str, tmp_path: Path) -> None:
    first, second, third = (engine.submit(_spec(tmp_path, str(i), serial_key="s1")) for i in range(3))
    other = engine.submit(_spec(tmp_path, "x"))
    assert _queued_ids(redis_url) == [first.id, other.id]
    engine.cancel(first.id)  # the head leaves: the next one becomes head and is enqueued
    assert _queued_ids(redis_url) == [other.id, second.id]
    engine.reconcile(grace_s=0.0)
    assert third.id not in _queued_ids(redis_url)


def test_job_naming_other_code_is_refused(redis_url: str) -> None:
    conn = connect_broker(redis_url)
    queue = Queue("aer", connection=conn, serializer=JSONSerializer, job_class=SafeJob)
    evil = queue.enqueue_call("os.system", args=("touch /tmp/qhost-pwned",))
    fetched = SafeJob.fetch(evil.id, connection=conn, serializer=JSONSerializer)
    with pytest.raises(ConfigurationError, match="qhost workers run only"):
        fetched.func  # noqa: B018 - resolving is what must fail
    ok = queue.enqueue_call(RUN_JOB, args=("0" * 32,), kwargs={"x": 1})
    with pytest.raises(ConfigurationError, match="not one qhost job id"):
        SafeJob.fetch(ok.id, connection=conn, serializer=JSONSerializer).func  # noqa: B018
    assert fetched.success_callback is None and fetched.failure_callback is None


def test_status_page_reports_no_worker_online(redis_url: str, database_url: str, tmp_path: Path) -> None:
    from qhost.server.app import create_app

    app = create_app(
        test_config={
            "broker_url": redis_url,
            "database_url": database_url,
            "executors": "aer",
            "TESTING": True,
        }
    )
    try:
        body = app.test_client().get("/").get_json()
    finally:
        app.extensions["qhost"].close()
        app.extensions["qhost"].engine.store.close()
    assert body["dispatch"]["mode"] == "rq"
    assert body["dispatch"]["queues"]["aer"]["state"] == "no worker online"
    assert "@" not in body["dispatch"]["broker"] or ":***@" in body["dispatch"]["broker"]


def test_running_job_rq_reports_failed_ends_failed(engine: Any, redis_url: str, tmp_path: Path) -> None:
    job = engine.submit(_spec(tmp_path))
    t = engine.store.jobs
    fresh = datetime.now(UTC).isoformat()
    with engine.store.transaction() as conn:  # claimed, heartbeat fresh ...
        conn.execute(sa.update(t).where(t.c.id == job.id).values(status="running", heartbeat_at=fresh))
    rq_job = Job.fetch(job.id, connection=connect_broker(redis_url), serializer=JSONSerializer)
    assert engine.reconcile()["failed"] == []  # still queued/started in RQ: left alone
    rq_job.set_status("failed")  # ... but RQ gave up on it (e.g. StartedJobRegistry cleanup)
    assert engine.reconcile()["failed"] == [job.id]
    record = engine.get(job.id)
    assert record.status is JobStatus.FAILED and record.error.startswith(
        "worker lost: RQ reports the job failed"
    )


def test_session_max_ttl_cancels_its_queued_jobs(engine: Any, redis_url: str, tmp_path: Path) -> None:
    import time

    from dist_helpers import until

    from qhost.engine.sessions import SessionManager

    sessions = SessionManager(engine)
    session = sessions.create("alice", "ideal@aer", "dedicated", max_ttl=1)
    jobs = [
        engine.submit(
            _spec(tmp_path, str(i), owner="alice", session_id=session.id, serial_key=session.serial_key)
        )
        for i in range(3)
    ]
    assert _queued_ids(redis_url) == [jobs[0].id]  # no worker online: the head waits in RQ
    time.sleep(1.0)
    until(lambda: all(engine.get(j.id).status is JobStatus.CANCELLED for j in jobs), 20, "the expiry sweep")
    left = _queued_ids(redis_url)
    assert left == [], [(j in left, left.count(j)) for j in [x.id for x in jobs]]  # taken off RQ too


def test_distributed_server_accepts_backends_it_cannot_run_itself(redis_url: str, tmp_path: Path) -> None:
    from qhost.config import Settings
    from qhost.errors import ExecutorUnavailable
    from qhost.executors import executor_availability
    from qhost.server.engine_factory import make_catalog

    if executor_availability("custatevec").ok:
        pytest.skip("this machine can run custatevec itself")
    with pytest.raises(ExecutorUnavailable):  # embedded: runs here, so it must be runnable here
        make_catalog(Settings(executors=("aer", "custatevec"))).resolve("ideal@custatevec")
    remote = make_catalog(Settings(executors=("aer", "custatevec"), broker_url=redis_url))
    assert remote.resolve("ideal@custatevec").available  # a GPU worker elsewhere runs it
    assert all(e.available for e in remote.entries())
