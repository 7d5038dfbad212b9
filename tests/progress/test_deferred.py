"""Deferred calls: one thread for all of them, in time order; cancelled ones dropped; failures contained."""

from __future__ import annotations

import threading
import time
from typing import Any

from progress_helpers import until

from qhost.programs.deferred import Deferred
from qhost.programs.progress import Throttle


def test_calls_run_in_the_order_they_fall_due() -> None:
    deferred, calls = Deferred(), []
    deferred.call_later(0.10, lambda: calls.append("late"))
    deferred.call_later(0.02, lambda: calls.append("soon"))
    deferred.call_later(0.0, lambda: calls.append("now"))
    until(lambda: len(calls) == 3, timeout=5)
    assert calls == ["now", "soon", "late"]


def test_a_call_waits_for_its_time() -> None:
    deferred, done = Deferred(), threading.Event()
    start = time.monotonic()
    deferred.call_later(0.1, done.set)
    assert done.wait(5) and time.monotonic() - start >= 0.1


def test_a_cancelled_call_is_not_made() -> None:
    deferred, calls = Deferred(), []
    deferred.call_later(0.05, lambda: calls.append("cancelled")).cancel()
    deferred.call_later(0.1, lambda: calls.append("kept"))
    until(lambda: calls == ["kept"], timeout=5)
    time.sleep(0.05)
    assert calls == ["kept"]


def test_a_failing_call_does_not_stop_the_next() -> None:
    deferred, done = Deferred(), threading.Event()

    def broken() -> None:
        raise RuntimeError("sink gone")

    deferred.call_later(0.0, broken)
    deferred.call_later(0.01, done.set)
    assert done.wait(5)


def test_held_reports_of_many_jobs_share_one_thread() -> None:
    sent: list[Any] = []
    before = threading.active_count()
    throttles = [Throttle(lambda *a: sent.append(a), interval_s=0.05) for _ in range(20)]
    for throttle in throttles:
        throttle(0, 3, "pubs")  # within the first interval: held
    assert threading.active_count() - before <= 1
    until(lambda: len(sent) == 20, timeout=5)
