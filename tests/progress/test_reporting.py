"""Unit tests of progress reporting: ``report``/``listening``, the throttle, the store table, the view."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from progress_helpers import until

from qhost.engine.progress_view import job_progress, progress_lines
from qhost.errors import InvalidOption
from qhost.jobs.spec import JobSpec
from qhost.jobs.status import JobStatus
from qhost.programs.progress import Throttle, listening, report
from qhost.store.sql_store import SqlStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_report_is_a_no_op_without_a_listener_and_reaches_one_per_thread() -> None:
    report(1, 2)  # nobody listens: nothing happens, nothing raises
    got: list[tuple[int, int, str]] = []
    other: list[tuple[int, int, str]] = []
    with listening(lambda *a: got.append(a)):
        report(1, 3, "shots")
        thread = threading.Thread(target=report, args=(2, 3))  # another thread: not this listener
        thread.start()
        thread.join()
        with listening(lambda *a: other.append(a)):
            report(2, 3)
        report(3, 3, "shots")
    report(9, 9)
    assert got == [(1, 3, "shots"), (3, 3, "shots")] and other == [(2, 3, "pubs")]


def test_report_swallows_a_failing_listener() -> None:
    def broken(*_: Any) -> None:
        raise OSError("pipe closed")

    with listening(broken):
        report(1, 2)  # must not raise: progress is advisory


def test_throttle_passes_nothing_in_the_first_interval_then_at_most_one_per_interval() -> None:
    clock, sent = FakeClock(), []
    throttle = Throttle(lambda *a: sent.append(a), interval_s=10.0, clock=clock)  # timers never fire here
    throttle(0, 5, "pubs")
    clock.now += 10.0
    throttle(1, 5, "pubs")
    clock.now += 1.0
    throttle(2, 5, "pubs")  # too soon: held
    clock.now += 10.0
    throttle(3, 5, "pubs")
    throttle.finish()
    assert sent == [(1, 5, "pubs"), (3, 5, "pubs"), (5, 5, "pubs")]
    throttle(4, 5, "pubs")  # after the end: dropped
    assert len(sent) == 3


def test_a_job_that_reported_nothing_passed_on_finishes_without_a_report() -> None:
    sent: list[Any] = []
    throttle = Throttle(lambda *a: sent.append(a), interval_s=10.0)
    throttle(1, 2, "pubs")
    throttle(2, 2, "pubs")
    throttle.finish()
    throttle.close()
    assert sent == []


def test_a_held_report_is_passed_on_by_the_timer() -> None:
    sent: list[Any] = []
    throttle = Throttle(lambda *a: sent.append(a), interval_s=0.05)
    throttle(1, 4, "pubs")  # within the first interval: held, then passed on by the timer
    until(lambda: sent == [(1, 4, "pubs")], timeout=5)
    throttle(2, 4, "pubs")
    throttle(3, 4, "pubs")  # replaces the held 2/4
    until(lambda: len(sent) == 2, timeout=5)
    assert sent[-1] == (3, 4, "pubs")
    throttle.close()


def test_close_stops_a_held_report_and_a_failing_sink_does_not_raise() -> None:
    sent: list[Any] = []
    throttle = Throttle(lambda *a: sent.append(a), interval_s=0.05)
    throttle(1, 2, "pubs")
    throttle.close()
    time.sleep(0.15)
    assert sent == []

    def broken(*_: Any) -> None:
        raise OSError("disk full")

    failing = Throttle(broken, interval_s=0.0)
    failing(1, 2, "pubs")
    failing.finish()
    assert failing.sent == (2, 2, "pubs")


def test_the_store_keeps_updates_and_deletes_progress(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'q.db'}")
    job = store.insert_job(JobSpec(program="sampler", inputs="{}", backend="ideal@aer"))[0]
    assert store.get_progress(job.id) is None
    store.set_progress(job.id, 1, 5, "pubs")
    store.set_progress(job.id, 3, 5, "pubs")
    row = store.get_progress(job.id)
    assert row is not None and (row["done"], row["total"], row["unit"]) == (3, 5, "pubs")
    datetime.fromisoformat(row["updated_at"])
    assert store.delete(job.id) and store.get_progress(job.id) is None
    store.close()


@pytest.mark.parametrize(
    ("done", "total", "unit", "words"),
    [(6, 5, "pubs", "0 <= done <= total"), (-1, 5, "pubs", "0 <= done"), (0, 0, "pubs", "total >= 1"),
     (1, 2, "gates", "valid: ['pubs', 'shots', 'circuits']"), (True, 2, "pubs", "integer")],
)  # fmt: skip
def test_the_store_refuses_bad_progress(tmp_path: Path, done: Any, total: int, unit: str, words: str) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'q.db'}")
    with pytest.raises(InvalidOption, match="progress|unit") as info:
        store.set_progress("j1", done, total, unit)
    assert words in info.value.message
    store.close()


def test_the_view_estimates_the_time_left_while_running_and_shows_total_when_completed(
    tmp_path: Path,
) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'q.db'}")
    job = store.insert_job(JobSpec(program="sampler", inputs="{}", backend="ideal@aer"))[0]
    assert job_progress(store, job) is None  # queued
    running = store.claim_next()
    assert running is not None and running.started_at is not None
    store.set_progress(job.id, 2, 5, "pubs")
    now = running.started_at + timedelta(seconds=4)
    view = job_progress(store, running, now=now)
    assert view is not None
    assert (view["done"], view["total"], view["percent"], view["elapsed_s"], view["eta_s"]) == (
        2,
        5,
        40.0,
        4.0,
        6.0,
    )
    assert progress_lines(store, running)[0].startswith("PUB 2/5 done after ")
    store.finish(job.id, JobStatus.COMPLETED, result="{}")
    done = job_progress(store, store.get(job.id))
    assert done is not None and (done["done"], done["eta_s"]) == (5, None)
    store.close()


def test_a_counts_job_shows_one_circuit_without_a_row(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'q.db'}")
    store.insert_job(JobSpec(program="counts", inputs="{}", backend="ideal@aer"))
    running = store.claim_next()
    assert running is not None
    view = job_progress(store, running, now=datetime.now(UTC))
    assert view is not None and (view["done"], view["total"], view["unit"], view["eta_s"]) == (
        0,
        1,
        "circuits",
        None,
    )
    store.finish(running.id, JobStatus.COMPLETED, result="{}")
    view = job_progress(store, store.get(running.id))
    assert view is not None and (view["done"], view["total"]) == (1, 1)
    store.close()


def test_retention_deletes_the_progress_of_the_jobs_it_deletes(tmp_path: Path) -> None:
    from qhost.engine.chores.retention import Retention

    store = SqlStore(f"sqlite:///{tmp_path / 'q.db'}")
    for _ in range(2):
        store.insert_job(JobSpec(program="sampler", inputs="{}", backend="ideal@aer"))
    old, young = store.claim_next(), store.claim_next()
    assert old is not None and young is not None
    store.set_progress(old.id, 2, 2, "pubs")
    store.set_progress(young.id, 1, 2, "pubs")  # still running: retention keeps it
    store.finish(old.id, JobStatus.COMPLETED, result="{}")
    report = Retention(days=1, params_days=0).apply(store, now=datetime.now(UTC) + timedelta(days=2))
    assert report.jobs_deleted == 1
    assert store.get_progress(old.id) is None and store.get_progress(young.id) is not None
    store.close()


def test_report_drops_impossible_counts_before_they_reach_the_listener(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[Any] = []
    with listening(lambda *a: got.append(a)):
        report(3, 2)
        report(1, 0)
        report(1, 2, "gates")
        report(2, 2, "circuits")
    assert got == [(2, 2, "circuits")]
    assert caplog.text.count("ignored") == 3
