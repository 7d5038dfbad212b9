"""Jobs through real ``qhost worker`` processes: results, listing, sessions, spreading, remote cancel.

One Redis database, one PostgreSQL database, one engine and one ``qhost worker -n 2`` serve the whole
module (starting workers costs seconds); each test submits its own jobs.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dist_helpers import QHOST, Procs, gone, runs, sleep_inputs, until, worker_env
from qhost_testkit import assert_split, bell_split

from qhost.engine.distributed.engine import RqJobEngine
from qhost.jobs import JobSpec, JobStatus
from qhost.store import SqlStore
from qhost.store.claims import run_info

pytestmark = pytest.mark.slow

BELL = 'OPENQASM 2.0;include "qelib1.inc";qreg q[2];creg c[2];h q[0];cx q[0],q[1];measure q->c;'
SNAPSHOT_KEYS = {
    "id",
    "kind",
    "host",
    "pid",
    "queues",
    "gpu",
    "state",
    "current_job",
    "jobs_done",
    "last_heartbeat",
}


@pytest.fixture(scope="module")
def cluster(redis_server: Any, postgres: Any) -> Iterator[tuple[RqJobEngine, str]]:
    import redis

    from qhost.programs import PROGRAMS, register_program

    redis.Redis.from_url(redis_server.url).flushall()
    db = postgres.new_database()
    register_program("sleep", "dist_progs:sleep")
    engine = RqJobEngine(SqlStore(db), redis_server.url, lost_after_s=3.0, reconcile_every_s=0.5)
    engine.start()
    procs = Procs()
    procs.worker(redis_server.url, db, "--queue", "aer", "-n", "2")
    until(lambda: len([s for s in engine.worker_snapshots() if s["state"] == "idle"]) == 2, 60, "2 workers")
    yield engine, db
    procs.stop_all()
    engine.stop()
    engine.store.close()
    PROGRAMS.pop("sleep", None)


def _sleep(engine: RqJobEngine, marker: Path, tag: str, seconds: float, **fields: Any) -> Any:
    return engine.submit(
        JobSpec(program="sleep", backend="ideal@aer", inputs=sleep_inputs(marker, tag, seconds), **fields)
    )


def test_counts_results_listing_and_snapshots(cluster: tuple[RqJobEngine, str]) -> None:
    engine, db = cluster
    inputs = json.dumps({"qasm": BELL, "shots": 200, "seed": 7})
    jobs = [
        engine.submit(JobSpec(program="counts", backend=b, inputs=inputs))
        for b in ("ideal@aer", "fake_manila@aer")
    ]
    for job in jobs:
        record = engine.wait(job.id, 60)
        assert record.status is JobStatus.COMPLETED, record.error
        counts = json.loads(record.result)["counts"]
        assert sum(counts.values()) == 200
    assert_split(json.loads(engine.get(jobs[0].id).result)["counts"], bell_split())  # ideal Bell pair
    snaps = engine.worker_snapshots()
    assert len(snaps) == 2 and all(set(s) == SNAPSHOT_KEYS for s in snaps)
    assert all(s["kind"] == "rq" and s["queues"] == ["aer"] and s["gpu"] is None for s in snaps)
    assert sum(s["jobs_done"] for s in snaps) >= 2
    out = subprocess.run(
        [*QHOST, "jobs", "--database-url", db, "--json", "--state", "completed"],
        capture_output=True,
        text=True,
        timeout=60,
        env=worker_env(),
        check=True,
    )
    rows = {r["id"]: r for r in map(json.loads, out.stdout.splitlines())}
    assert {j.id for j in jobs} <= set(rows)
    pids = {s["pid"] for s in snaps}
    assert all(rows[j.id]["pid"] in pids and rows[j.id]["host"] == snaps[0]["host"] for j in jobs)
    assert engine.queue_report(["aer"])["aer"]["state"] == "ok"


def test_session_jobs_run_one_at_a_time_in_order(cluster: tuple[RqJobEngine, str], tmp_path: Path) -> None:
    engine, _ = cluster
    marker = tmp_path / "m"
    jobs = [_sleep(engine, marker, f"s{i}", 0.2, serial_key="sess") for i in range(4)]
    records = [engine.wait(j.id, 60) for j in jobs]
    assert all(r.status is JobStatus.COMPLETED for r in records)
    assert [t for t, _ in runs(marker)] == ["s0", "s1", "s2", "s3"]
    for before, after in zip(records, records[1:], strict=False):
        assert after.started_at >= before.finished_at  # never two of the session at once


def test_batch_spreads_over_both_workers(cluster: tuple[RqJobEngine, str], tmp_path: Path) -> None:
    engine, _ = cluster
    marker = tmp_path / "m"
    jobs = [_sleep(engine, marker, f"b{i}", 0.5) for i in range(6)]
    records = [engine.wait(j.id, 60) for j in jobs]
    assert all(r.status is JobStatus.COMPLETED for r in records)
    info = run_info(engine.store, [j.id for j in jobs])
    assert len({i.worker for i in info.values()}) == 2
    overlapping = [  # the two workers ran side by side (from the store's times, not a wall-clock bound)
        (a.id, b.id)
        for a in records
        for b in records
        if info[a.id].worker != info[b.id].worker
        and a.started_at < b.finished_at
        and b.started_at < a.finished_at
    ]
    assert overlapping, [(r.id, info[r.id].worker, r.started_at, r.finished_at) for r in records]
    assert (
        len({pid for _, pid in runs(marker)}) == 2
    )  # one warm job process per worker, reused: no fork per job


def test_cancel_running_remote_job_kills_it_promptly(
    cluster: tuple[RqJobEngine, str], tmp_path: Path
) -> None:
    engine, _ = cluster
    marker = tmp_path / "m"
    job = _sleep(engine, marker, "long", 60)
    until(lambda: runs(marker), 30, "the job to start")
    pid = runs(marker)[0][1]
    start = time.monotonic()
    assert engine.cancel(job.id).status is JobStatus.CANCELLED
    until(lambda: gone(pid), 20, "the kill")
    assert time.monotonic() - start < 20  # killed, not left to finish its 60 s
    follow = _sleep(engine, marker, "next", 0.1)  # the worker goes on
    assert engine.wait(follow.id, 60).status is JobStatus.COMPLETED
    assert engine.get(job.id).status is JobStatus.CANCELLED  # the kill did not turn it into a failure


def test_server_notices_a_worker_of_another_version(cluster: tuple[RqJobEngine, str]) -> None:
    from qhost.engine.distributed.common import software_versions
    from qhost.engine.distributed.status import version_mismatches

    engine, _ = cluster
    mine = software_versions()
    assert version_mismatches(engine._redis, mine) == {}
    name = engine.worker_snapshots()[0]["id"]
    engine._redis.hset(f"rq:worker:{name}", "qiskit_version", "0.1.0")
    try:
        assert version_mismatches(engine._redis, mine) == {
            name: [f"qiskit 0.1.0 there, {mine['qiskit']} here"]
        }
    finally:
        engine._redis.hset(f"rq:worker:{name}", "qiskit_version", mine["qiskit"])
