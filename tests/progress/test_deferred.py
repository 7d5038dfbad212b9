"""Deferred calls: one thread for all of them, in time order; cancelled ones dropped; failures contained."""

from __future__ import annotations

import contextlib
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


def test_a_forked_child_starts_afresh() -> None:
    import os
    import signal

    from qhost.programs.deferred import DEFERRED

    parent = DEFERRED.call_later(30.0, lambda: None)  # the parent's: waiting, its thread running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's waiting, and a call of its own still runs
        done = threading.Event()
        DEFERRED.call_later(0.0, done.set)
        os.write(write, b"%d%d" % (all(h is not parent for *_, h in DEFERRED._due), done.wait(5)))
        os._exit(0)
    os.close(write)
    deadline, ended = time.monotonic() + 10, False
    while not ended and time.monotonic() < deadline:
        ended = os.waitpid(pid, os.WNOHANG) != (0, 0)
        time.sleep(0.01)
    if not ended:  # a child stuck on the parent's state: fail, don't hang
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    parent.cancel()
    assert os.read(read, 2) == b"11"
