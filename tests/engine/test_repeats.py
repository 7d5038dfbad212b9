"""A failure recurring on every pass: logged in full once, then once per interval, then 'working again'."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from qhost.engine import JobEngine
from qhost.engine import engine as engine_module
from qhost.engine.chores.schedule import Chore, run_due
from qhost.engine.repeats import RepeatingFailure
from qhost.jobs import JobStatus
from qhost.store import SqlStore

log = logging.getLogger("tests.repeats")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fail(failure: RepeatingFailure, exc: Exception) -> None:
    try:
        raise exc
    except Exception:
        failure.failed()


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def failure(clock: _Clock) -> RepeatingFailure:
    return RepeatingFailure(log, "loop: claim failed", every_s=60.0, clock=clock)


def test_the_first_failure_is_logged_with_its_traceback(
    failure: RepeatingFailure, caplog: pytest.LogCaptureFixture
) -> None:
    _fail(failure, OSError(28, "No space left on device"))
    (record,) = caplog.records
    assert record.getMessage() == "loop: claim failed" and record.exc_info is not None


def test_the_same_failure_within_the_interval_is_not_logged_again(
    failure: RepeatingFailure, clock: _Clock, caplog: pytest.LogCaptureFixture
) -> None:
    for second in range(59):
        clock.now = float(second)
        _fail(failure, OSError(28, "No space left on device"))
    assert len(caplog.records) == 1


def test_after_the_interval_one_line_counts_the_repeats(
    failure: RepeatingFailure, clock: _Clock, caplog: pytest.LogCaptureFixture
) -> None:
    for second in range(61):
        clock.now = float(second)
        _fail(failure, OSError(28, "No space left on device"))
    first, summary = caplog.records
    assert summary.exc_info is None
    assert summary.getMessage() == (
        "loop: claim failed: failed 60 more times in 60 s, the same way: "
        "OSError: [Errno 28] No space left on device"
    )


def test_a_different_failure_is_logged_in_full_at_once(
    failure: RepeatingFailure, caplog: pytest.LogCaptureFixture
) -> None:
    _fail(failure, OSError(28, "No space left on device"))
    _fail(failure, RuntimeError("database is locked"))
    assert [r.exc_info is not None for r in caplog.records] == [True, True]


def test_success_after_failures_is_logged_once(
    failure: RepeatingFailure, caplog: pytest.LogCaptureFixture
) -> None:
    failure.succeeded()
    _fail(failure, OSError(28, "No space left on device"))
    failure.succeeded()
    failure.succeeded()
    assert [r.getMessage() for r in caplog.records] == [
        "loop: claim failed",
        "loop: claim failed: working again",
    ]


def test_a_chore_failing_every_time_logs_one_traceback(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("chore failed")

    chores = [Chore(broken, 0.0)]
    for _ in range(5):
        run_due(chores)
    assert [r.exc_info is not None for r in caplog.records] == [True]


def test_a_dispatcher_that_cannot_claim_logs_one_traceback_and_recovers(
    store: SqlStore, make_spec: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine_module, "_IDLE_S", 0.02)
    real_claim, calls = store.claim_next, []

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= 20:
            raise OSError(28, "No space left on device")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(store, "claim_next", full_disk)
    engine = JobEngine(store, process_workers=1, thread_workers=1, worker_mode="thread")
    engine.start()
    try:
        job = engine.submit(make_spec("echo"))
        assert engine.wait(job.id, timeout=10).status is JobStatus.COMPLETED
    finally:
        engine.stop(timeout=2.0)
    dispatcher = [r for r in caplog.records if r.getMessage().startswith("dispatcher: error while claiming")]
    assert len(calls) > 20
    assert [r.exc_info is not None for r in dispatcher] == [True, False]
    assert dispatcher[1].getMessage() == "dispatcher: error while claiming jobs: working again"


def test_a_chore_names_its_function_only_when_it_fails() -> None:
    class HalfBuilt:
        def __call__(self) -> None:
            return None

        def __repr__(self) -> str:
            raise AttributeError("not built yet")  # as an engine's repr before its __init__ is done

    run_due([Chore(HalfBuilt(), 0.0)])  # created and run: its repr is never needed
