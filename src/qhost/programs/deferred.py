"""Deferred calls on one thread per process, instead of a ``threading.Timer`` (a new thread) per call.

The progress ``Throttle`` holds a report that comes too soon and passes it on when its interval is
over. Every Sampler job reports ``0/N`` as it starts, so with a timer thread per held report each job
of a worker started and stopped a thread (~0.1 ms, and a thread switch) only to cancel it when the job
ended a few milliseconds later. Here one daemon thread, started on first use, sleeps until the earliest
call is due; a cancelled call is dropped when its time comes. A forked child starts afresh (the parent's
calls are the parent's; its lock may have been held by another thread at the fork).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

__all__ = ["DEFERRED", "Deferred", "Handle"]

log = logging.getLogger(__name__)


class Handle:
    """A call waiting to be made; ``cancel()`` drops it (harmless once made)."""

    __slots__ = ("cancelled", "fn")

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn, self.cancelled = fn, False

    def cancel(self) -> None:
        self.cancelled = True


class Deferred:
    """Calls made ``delay_s`` from now by one background thread (exceptions are logged, never raised)."""

    def __init__(self, name: str = "qhost-deferred") -> None:
        self.name = name
        self._cv = threading.Condition()
        self._due: list[tuple[float, int, Handle]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Handle:
        """Call ``fn()`` on the background thread once ``delay_s`` seconds have passed."""
        handle = Handle(fn)
        with self._cv:
            heapq.heappush(self._due, (time.monotonic() + max(0.0, delay_s), next(self._order), handle))
            self._ensure_thread()
            self._cv.notify()
        return handle

    def forget(self) -> None:
        """Drop every waiting call and the thread (in a forked child, where neither is ours)."""
        self._cv = threading.Condition()
        self._due = []
        self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            handle = self._next_due()
            try:
                handle.fn()
            except Exception:  # a deferred call must not end the thread the others wait on
                log.exception("deferred call %r failed", handle.fn)

    def _next_due(self) -> Handle:
        with self._cv:
            while True:
                now = time.monotonic()
                while self._due and self._due[0][2].cancelled:
                    heapq.heappop(self._due)
                if self._due and self._due[0][0] <= now:
                    return heapq.heappop(self._due)[2]
                self._cv.wait(self._due[0][0] - now if self._due else None)


DEFERRED = Deferred()
"""The process's deferred calls (progress flushes)."""
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=DEFERRED.forget)
