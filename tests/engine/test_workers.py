"""JobEngine with warm worker processes: reuse, cancel by kill, crashes, out of memory, stop."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest

from qhost.engine import JobEngine
from qhost.jobs import JobSpec, JobStatus
from qhost.store import SqlStore

Spec = Callable[..., JobSpec]


def _run(engine: JobEngine, spec: JobSpec, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    return engine.wait(engine.submit(spec).id, timeout=timeout)


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.01)


def test_jobs_run_in_a_warm_worker_process(proc_engine: JobEngine, make_spec: Spec) -> None:
    first = json.loads(_run(proc_engine, make_spec("warm")).result or "")
    second = json.loads(_run(proc_engine, make_spec("warm")).result or "")
    assert first["pid"] != os.getpid() and second["pid"] == first["pid"]
    assert second["calls"] == first["calls"] + 1


def test_a_warm_worker_keeps_its_imports_out_of_garbage_collection(
    proc_engine: JobEngine, make_spec: Spec
) -> None:
    frozen = json.loads(_run(proc_engine, make_spec("frozen")).result or "")["frozen"]
    assert frozen > 10_000  # the warm-up's imports (qiskit & co.) sit in the permanent generation


def test_start_returns_quickly(store: SqlStore) -> None:
    """start() does not wait for the workers' warm-up (here a minute long: slow_warm_for_tests)."""
    engine = JobEngine(store, process_workers=2, warm_modules=("slow_warm_for_tests",))
    started = time.monotonic()
    engine.start()
    try:
        assert time.monotonic() - started < 30
    finally:
        engine.stop(timeout=1.0)


def test_cancel_running_job_kills_and_replaces_the_worker(proc_engine: JobEngine, make_spec: Spec) -> None:
    before = json.loads(_run(proc_engine, make_spec("pid")).result or "")
    job = proc_engine.submit(make_spec("sleepy", "60"))
    _until(lambda: proc_engine.get(job.id).status is JobStatus.RUNNING)
    assert proc_engine.cancel(job.id).status is JobStatus.CANCELLED
    after = _run(proc_engine, make_spec("pid"))
    assert after.status is JobStatus.COMPLETED and json.loads(after.result or "") != before
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)


@pytest.mark.parametrize(
    ("program", "reason"),
    [
        ("crash", "worker terminated unexpectedly (exit code 3)"),
        ("killed", "worker terminated unexpectedly (signal 9 SIGKILL; it may have run out of memory)"),
    ],
)
def test_dead_worker_fails_its_job_and_is_replaced(
    proc_engine: JobEngine, make_spec: Spec, program: str, reason: str
) -> None:
    job = _run(proc_engine, make_spec(program))
    assert job.status is JobStatus.FAILED and job.error == reason
    assert _run(proc_engine, make_spec()).status is JobStatus.COMPLETED


def test_program_exception_in_worker_keeps_the_worker(proc_engine: JobEngine, make_spec: Spec) -> None:
    pid = _run(proc_engine, make_spec("pid")).result
    assert _run(proc_engine, make_spec("boom", "x")).error == "ValueError: boom x"
    assert _run(proc_engine, make_spec("pid")).result == pid


def test_memory_error_fails_the_job_and_retires_the_worker(proc_engine: JobEngine, make_spec: Spec) -> None:
    job = _run(proc_engine, make_spec("no_memory"))
    assert job.status is JobStatus.FAILED and job.error.startswith("out of memory: ")  # type: ignore[union-attr]
    assert _run(proc_engine, make_spec()).status is JobStatus.COMPLETED


def test_memory_limit_turns_big_allocations_into_out_of_memory(store: SqlStore, make_spec: Spec) -> None:
    with JobEngine(store, process_workers=1, warm_modules=(), memory_limit_mb=1024) as engine:
        job = _run(engine, make_spec("hog", "2048"))
        assert job.error == "out of memory: the job needed more memory than the worker may use"
        assert _run(engine, make_spec("hog", "16")).status is JobStatus.COMPLETED


def test_stop_fails_the_running_job(store: SqlStore, make_spec: Spec) -> None:
    engine = JobEngine(store, process_workers=1, warm_modules=())
    engine.start()
    job = engine.submit(make_spec("sleepy", "60"))
    _until(lambda: engine.get(job.id).status is JobStatus.RUNNING)
    engine.stop(timeout=0.2)
    assert engine.get(job.id).error == "server stopped: job was running when the server stopped"


def test_jobs_queued_behind_a_busy_worker_run_in_order_and_stay_cancellable(
    proc_engine: JobEngine, make_spec: Spec
) -> None:
    first = proc_engine.submit(make_spec("sleepy", "0.3"))
    _until(lambda: proc_engine.get(first.id).status is JobStatus.RUNNING)
    queued = [proc_engine.submit(make_spec("pid")) for _ in range(3)]
    dropped = proc_engine.submit(make_spec("pid"))
    assert proc_engine.get(queued[0].id).status is JobStatus.QUEUED
    assert proc_engine.cancel(dropped.id).status is JobStatus.CANCELLED
    done = [proc_engine.wait(job.id, timeout=30) for job in queued]
    assert [d.status for d in done] == [JobStatus.COMPLETED] * 3
    ended, starts = proc_engine.get(first.id).finished_at, [d.started_at for d in done]
    assert ended is not None and None not in starts
    assert starts == sorted(starts) and starts[0] >= ended  # type: ignore[operator,type-var]
    assert proc_engine.get(dropped.id).status is JobStatus.CANCELLED


SNAPSHOT_KEYS = {
    "id", "kind", "host", "pid", "queues", "gpu", "state", "current_job", "jobs_done", "last_heartbeat",
}  # fmt: skip


def test_worker_snapshots_show_the_busy_worker_and_jobs_done(proc_engine: JobEngine, make_spec: Spec) -> None:
    _run(proc_engine, make_spec("warm"))
    job = proc_engine.submit(make_spec("sleepy", inputs="1.5"))
    _until(lambda: any(w["current_job"] == job.id for w in proc_engine.worker_snapshots()))
    (worker,) = [w for w in proc_engine.worker_snapshots() if w["queues"] == ["programs"]]
    assert set(worker) == SNAPSHOT_KEYS
    assert worker["state"] == "busy" and worker["kind"] == "local" and worker["jobs_done"] == 1
    assert worker["pid"] == json.loads(_run(proc_engine, make_spec("pid")).result or "")
    (worker,) = [w for w in proc_engine.worker_snapshots() if w["queues"] == ["programs"]]
    assert worker["state"] == "idle" and worker["current_job"] is None and worker["jobs_done"] == 3


def test_thread_workers_appear_once_they_ran_a_job(engine: JobEngine, make_spec: Spec) -> None:
    assert engine.worker_snapshots() == []
    _run(engine, make_spec("echo"))
    rows = engine.worker_snapshots()
    assert len(rows) == 1 and rows[0]["jobs_done"] == 1 and rows[0]["state"] == "idle"
    assert rows[0]["last_heartbeat"] is not None and set(rows[0]) == SNAPSHOT_KEYS
