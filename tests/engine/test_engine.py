"""JobEngine in thread mode: submit, wait, cancel, failures, run_func, limits, owners, concurrency."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import programs_for_tests as progs
import pytest

from qhost.engine import JobEngine
from qhost.errors import InvalidJobTransition, InvalidOption, JobNotFound, QueueFull
from qhost.jobs import JobSpec, JobStatus
from qhost.store import SqlStore

Spec = Callable[..., JobSpec]


def test_submitted_job_completes_with_the_program_result(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.submit(make_spec("echo", '{"a": 1}', backend="ideal@aer"))
    done = engine.wait(job.id, timeout=10)
    assert done.status is JobStatus.COMPLETED and done.finished_at is not None
    assert json.loads(done.result or "") == {"backend": "ideal@aer", "inputs": {"a": 1}}


def test_wait_wakes_as_soon_as_the_job_ends(engine: JobEngine, make_spec: Spec) -> None:
    progs.GATE.clear()
    job = engine.submit(make_spec("gated"))
    threading.Timer(0.3, progs.GATE.set).start()
    started = time.monotonic()
    assert engine.wait(job.id, timeout=60).status is JobStatus.COMPLETED
    assert time.monotonic() - started < 20  # woken by the job's end, not by the 60 s timeout


def test_wait_returns_the_unfinished_job_at_timeout(engine: JobEngine, make_spec: Spec) -> None:
    progs.GATE.clear()
    job = engine.submit(make_spec("gated"))  # runs until GATE is set (10 s at most)
    started = time.monotonic()
    try:
        assert not engine.wait(job.id, timeout=0.2).status.is_final
        assert 0.15 < time.monotonic() - started < 5  # the 0.2 s timeout, not the job's 10 s
    finally:
        progs.GATE.set()


def test_unknown_program_names_the_valid_ones(engine: JobEngine) -> None:
    with pytest.raises(
        InvalidOption, match=r"Unknown program 'nope'; valid programs: \[.*'counts'.*'run_func'"
    ):
        engine.submit(JobSpec(program="nope", inputs="{}"))


def test_program_exception_fails_the_job_with_type_and_message(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.wait(engine.submit(make_spec("boom", "7")).id, timeout=10)
    assert job.status is JobStatus.FAILED and job.error == "ValueError: boom 7"


def test_qhost_error_fails_the_job_with_its_message(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.wait(engine.submit(make_spec("user_error")).id, timeout=10)
    assert job.error == "Unsupported gate 'foo' in circuit"


def test_program_returning_non_text_fails(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.wait(engine.submit(make_spec("not_text")).id, timeout=10)
    assert (
        job.error == "TypeError: program programs_for_tests:not_text returned dict, expected JSON text (str)"
    )


def test_memory_error_fails_the_job_as_out_of_memory(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.wait(engine.submit(make_spec("no_memory")).id, timeout=10)
    assert job.status is JobStatus.FAILED and job.error.startswith("out of memory: ")  # type: ignore[union-attr]


def test_run_func_job_returns_counts_json(engine: JobEngine) -> None:
    inputs = json.dumps({"qasm": "OPENQASM 2.0;", "shots": 10, "token": "t"})
    job = engine.wait(engine.submit(JobSpec(program="run_func", inputs=inputs)).id, timeout=10)
    assert job.status is JobStatus.COMPLETED and json.loads(job.result or "") == {"00": 5, "11": 5}


@pytest.mark.parametrize(
    ("qasm", "message"),
    [
        ("bad-type", "run_func returned list, expected a dict of str -> int/float"),
        ("bad-value", "run_func returned a dict with entry '00': str; expected str -> int/float"),
    ],
)
def test_run_func_bad_return_fails_with_the_type(engine: JobEngine, qasm: str, message: str) -> None:
    inputs = json.dumps({"qasm": qasm, "shots": 10, "token": ""})
    job = engine.wait(engine.submit(JobSpec(program="run_func", inputs=inputs)).id, timeout=10)
    assert job.status is JobStatus.FAILED and job.error == message


def test_run_func_without_a_run_func_is_refused(store: SqlStore) -> None:
    engine = JobEngine(store, worker_mode="thread")
    with pytest.raises(InvalidOption, match="Program 'run_func' is not available"):
        engine.submit(JobSpec(program="run_func", inputs="{}"))


def test_cancel_queued_job(store: SqlStore, make_spec: Spec) -> None:
    engine = JobEngine(store, worker_mode="thread")  # not started: jobs stay queued
    job = engine.submit(make_spec())
    assert engine.cancel(job.id).status is JobStatus.CANCELLED
    assert engine.wait(job.id, timeout=0).finished_at is not None


def test_cancel_final_job_is_a_conflict(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.wait(engine.submit(make_spec()).id, timeout=10)
    with pytest.raises(InvalidJobTransition, match=f"Cannot cancel job {job.id}: already completed"):
        engine.cancel(job.id)


def test_cancel_running_thread_job_marks_it_and_drops_its_result(engine: JobEngine, make_spec: Spec) -> None:
    progs.GATE.clear()
    job = engine.submit(make_spec("gated"))
    _until(lambda: engine.get(job.id).status is JobStatus.RUNNING)
    assert engine.cancel(job.id).status is JobStatus.CANCELLED
    progs.GATE.set()
    follow = engine.wait(engine.submit(make_spec()).id, timeout=10)
    assert follow.status is JobStatus.COMPLETED and engine.get(job.id).status is JobStatus.CANCELLED


def test_queue_full_is_refused_with_retry_advice(store: SqlStore, make_spec: Spec) -> None:
    engine = JobEngine(store, worker_mode="thread", max_queued=2)
    engine.submit(make_spec())
    engine.submit(make_spec())
    with pytest.raises(QueueFull, match=r"queue is full \(2 jobs queued\); retry later"):
        engine.submit(make_spec())


def test_idempotent_submit_returns_the_same_job(engine: JobEngine, make_spec: Spec) -> None:
    first = engine.submit(make_spec(owner="a", idempotency_key="req-1"))
    assert engine.submit(make_spec(owner="a", idempotency_key="req-1")).id == first.id


@pytest.mark.parametrize("verb", ["get", "cancel", "delete", "wait", "set_tags"])
def test_other_owners_cannot_see_a_job(store: SqlStore, make_spec: Spec, verb: str) -> None:
    engine = JobEngine(store, worker_mode="thread")
    job = engine.submit(make_spec(owner="alice"))
    args = {"wait": (0.0,), "set_tags": (["x"],)}.get(verb, ())
    with pytest.raises(JobNotFound, match=f"Job {job.id} not found"):
        getattr(engine, verb)(job.id, *args, owner="bob")


def test_list_jobs_is_per_owner(engine: JobEngine, make_spec: Spec) -> None:
    mine = engine.submit(make_spec(owner="a", tags=("t",)))
    engine.submit(make_spec(owner="b"))
    jobs, total = engine.list_jobs("a", tags=["t"], limit=10)
    assert total == 1 and jobs[0].id == mine.id


def test_delete_removes_the_job(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.submit(make_spec(owner="a"))
    engine.delete(job.id, owner="a")
    with pytest.raises(JobNotFound):
        engine.get(job.id)


def test_set_tags_replaces_tags(engine: JobEngine, make_spec: Spec) -> None:
    job = engine.submit(make_spec(tags=("a",)))
    assert engine.set_tags(job.id, ["b", "c"]).spec.tags == ("b", "c")


def test_queue_length_counts_queued_and_running(store: SqlStore, make_spec: Spec) -> None:
    engine = JobEngine(store, worker_mode="thread")
    engine.submit(make_spec(backend="x@aer"))
    engine.submit(make_spec(backend="y@aer"))
    assert engine.queue_length() == 2 and engine.queue_length("x@aer") == 1


def test_serial_key_jobs_run_one_at_a_time_in_order(engine: JobEngine, make_spec: Spec) -> None:
    progs.LOG.clear()
    ids = [engine.submit(make_spec("logged", str(i), serial_key="session-1")).id for i in range(4)]
    for job_id in ids:
        engine.wait(job_id, timeout=10)
    assert progs.LOG == [f"{kind}:{i}" for i in range(4) for kind in ("start", "end")]


def test_start_runs_jobs_queued_before_it(store: SqlStore, make_spec: Spec) -> None:
    engine = JobEngine(store, worker_mode="thread")
    job = engine.submit(make_spec())
    with engine:
        assert engine.wait(job.id, timeout=10).status is JobStatus.COMPLETED


def test_concurrent_submitters_all_get_results(engine: JobEngine, make_spec: Spec) -> None:
    ids: list[str] = []

    def submit_many() -> None:
        ids.extend(engine.submit(make_spec()).id for _ in range(25))

    threads = [threading.Thread(target=submit_many) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 150
    assert all(engine.wait(i, timeout=20).status is JobStatus.COMPLETED for i in ids)


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.01)
