"""Progress reports from a running program: ``report(done, total, unit)``.

A program calls ``report(2, 5, "pubs")`` after its second of five PUBs. Whoever runs the program may
listen (``listening(sink)``, per thread); with nobody listening ``report`` does nothing. The engine
listens through a ``Throttle``, so a program may report as often as it likes:

- nothing is passed on during a job's first ``interval_s`` (0.1 s): a job that ends sooner never costs a
  store write;
- after that, at most one report per ``interval_s`` (10 per second per job); a report that arrives
  sooner is held and passed on when the interval is over (by the process's one ``DEFERRED`` thread),
  unless a newer one came;
- ``finish()`` (the job completed) passes on ``done = total`` once, if anything was passed on before;
  ``close()`` (the job ended any way) stops the timer.

In a worker process the sink sends the report to the parent over the task pipe; in a thread worker it
writes to the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from qhost.programs.deferred import DEFERRED, Handle

__all__ = ["DEFAULT_INTERVAL_S", "UNITS", "Sink", "Throttle", "listening", "report"]

Sink = Callable[[int, int, str], None]
"""``sink(done, total, unit)``: where progress reports go."""

UNITS = ("pubs", "shots", "circuits")
"""What a progress count may count."""

DEFAULT_INTERVAL_S = 0.1
"""Least time between two reports passed on, and before the first one."""

_local = threading.local()
log = logging.getLogger(__name__)


def report(done: int, total: int, unit: str = "pubs") -> None:
    """Report that the running job has done ``done`` of ``total`` ``unit`` ("pubs", "shots", "circuits").

    A no-op when nothing listens (outside the engine). Never raises: progress is advisory; a report that
    is not ``0 <= done <= total``, ``total >= 1`` with a known unit is dropped with a warning.
    """
    sink: Sink | None = getattr(_local, "sink", None)
    if sink is None:
        return
    try:
        done, total = int(done), int(total)
        if total < 1 or not 0 <= done <= total or unit not in UNITS:
            log.warning(
                "progress report %s/%s %r ignored: need 0 <= done <= total, unit in %s",
                done,
                total,
                unit,
                UNITS,
            )
            return
        sink(done, total, unit)
    except Exception:  # noqa: BLE001 - advisory: the job goes on
        return


@contextmanager
def listening(sink: Sink | None) -> Iterator[None]:
    """Send this thread's ``report`` calls to ``sink`` while the block runs."""
    previous = getattr(_local, "sink", None)
    _local.sink = sink
    try:
        yield
    finally:
        _local.sink = previous


class Throttle:
    """A sink that passes reports on to ``sink`` at most once per ``interval_s`` (see the module doc).

    A report that comes too soon is held, and passed on by a timer when the interval is over (unless a
    newer one replaced it, or the job ended first): the last state is always shown, however the reports
    are spaced. Errors of ``sink`` are swallowed (a failed progress write must not fail the job).
    """

    def __init__(
        self, sink: Sink, interval_s: float = DEFAULT_INTERVAL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._sink, self._interval, self._clock = sink, interval_s, clock
        self._lock = threading.Lock()
        self._last = clock()  # the job's start counts as a pass: nothing during the first interval
        self._sent: tuple[int, int, str] | None = None
        self._latest: tuple[int, int, str] | None = None
        self._timer: Handle | None = None
        self._closed = False

    @property
    def sent(self) -> tuple[int, int, str] | None:
        """The last report passed on (None: none yet)."""
        return self._sent

    def __call__(self, done: int, total: int, unit: str) -> None:
        with self._lock:
            if self._closed:
                return
            self._latest = (done, total, unit)
            wait = self._interval - (self._clock() - self._last)
            if wait <= 0:
                self._pass(self._latest)
            elif self._timer is None:
                self._timer = DEFERRED.call_later(wait, self._flush)

    def finish(self) -> None:
        """The job completed: pass on ``done = total`` if anything was passed on and it is not there yet."""
        with self._lock:
            self._stop()
            if self._sent is None:
                return
            _, total, unit = self._latest or self._sent
            if self._sent != (total, total, unit):
                self._pass((total, total, unit))

    def close(self) -> None:
        """The job ended (any way): pass nothing more on. Safe to call after ``finish``."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _flush(self) -> None:
        with self._lock:
            self._timer = None
            if not self._closed and self._latest is not None and self._latest != self._sent:
                self._pass(self._latest)

    def _pass(self, value: tuple[int, int, str]) -> None:
        self._last, self._sent = self._clock(), value
        try:
            self._sink(*value)
        except Exception:  # noqa: BLE001 - advisory: the job goes on
            return
