"""Per-job wake-ups: ``JobEngine.wait()`` sleeps on its job's event and wakes the moment the job ends.

No polling: the engine calls :meth:`Notifier.notify` when a job reaches a final state, handing over
the final record so that waiters need not read it back from the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from qhost.jobs.spec import JobRecord

__all__ = ["Notifier", "Watch"]


class Watch:
    """One job's wake-up: the event, how many waiters watch it, and the final record when it came along."""

    __slots__ = ("event", "record", "watchers")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.record: JobRecord | None = None
        self.watchers = 0


class Notifier:
    """Per-job events so ``wait()`` wakes the moment its job ends (no polling)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, Watch] = {}

    @contextmanager
    def watch(self, job_id: str) -> Iterator[Watch]:
        with self._lock:
            entry = self._events.get(job_id)
            if entry is None:
                entry = self._events[job_id] = Watch()
            entry.watchers += 1
        try:
            yield entry
        finally:
            with self._lock:
                entry.watchers -= 1
                if entry.watchers == 0 and self._events.get(job_id) is entry:
                    del self._events[job_id]

    def notify(self, job_id: str, record: JobRecord | None = None) -> None:
        """Wake the job's waiters; ``record`` (the job as it just ended) spares them a read."""
        with self._lock:
            entry = self._events.pop(job_id, None)
        if entry is not None:
            entry.record = record
            entry.event.set()
