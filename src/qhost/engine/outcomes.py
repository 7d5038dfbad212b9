"""Outcomes the store could not record yet: kept in memory and retried, never lost to "worker lost".

When a job finishes while the job store's disk is full, writing its result fails. Before, the job then
stayed RUNNING until the periodic recovery failed it as "worker lost", so both the result and the real
cause were gone. Now the engine keeps the outcome here and retries the write every second (a chore of
the dispatcher): once space returns, the job completes with its result. After ``give_up_s`` seconds of a
full disk it records the smaller failure "job store out of space: … (the job's result, N bytes, was
lost)" instead (retrying that too),
so a client waiting on the job learns why. Recovery treats these jobs as live, so it never fails them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from qhost.jobs.spec import JobRecord
from qhost.jobs.status import JobStatus
from qhost.store.space import is_out_of_space, out_of_space_message
from qhost.store.sql_store import SqlStore

__all__ = ["GIVE_UP_S", "RETRY_EVERY_S", "UnsavedOutcomes"]

log = logging.getLogger(__name__)

RETRY_EVERY_S = 1.0
"""How often the engine retries writing outcomes the store refused."""
GIVE_UP_S = 60.0
"""After this long on a full disk, a result is replaced by the (small) "out of space" failure."""


class UnsavedOutcomes:
    """``record`` an outcome; ``retry`` the ones a full disk refused; ``ids`` of those still waiting."""

    def __init__(self, store: SqlStore, give_up_s: float = GIVE_UP_S) -> None:
        self.store, self.give_up_s = store, give_up_s
        self._pending: dict[str, tuple[bool, str, float]] = {}
        self._lock = threading.Lock()

    def ids(self) -> set[str]:
        with self._lock:
            return set(self._pending)

    def record(self, job_id: str, ok: bool, text: str) -> JobRecord | None:
        """Write the outcome; on a full disk keep it for ``retry`` (returns None). Other errors propagate."""
        try:
            return self._write(job_id, ok, text)
        except Exception as exc:
            if not is_out_of_space(exc):
                raise
            log.error(
                "job %s: job store out of space at %s; keeping its outcome and retrying",
                job_id,
                self.store.where,
            )
            with self._lock:
                self._pending[job_id] = (ok, text, time.monotonic())
            return None

    def retry(self, notify: Callable[[str, JobRecord | None], None]) -> None:
        """Try each waiting outcome again; ``notify(job_id, record)`` for each one written."""
        with self._lock:
            waiting = list(self._pending.items())
        for job_id, (ok, text, since) in waiting:
            try:
                record = self._write_or_give_up(job_id, ok, text, since)
            except Exception as exc:  # still full (or broken): keep it, try again next time
                if not is_out_of_space(exc):
                    log.exception("job %s: could not record its outcome", job_id)
                continue
            with self._lock:
                self._pending.pop(job_id, None)
            notify(job_id, record)

    def _write_or_give_up(self, job_id: str, ok: bool, text: str, since: float) -> JobRecord | None:
        try:
            return self._write(job_id, ok, text)
        except Exception as exc:
            if not is_out_of_space(exc) or time.monotonic() - since < self.give_up_s:
                raise
        reason = f"{out_of_space_message()} (the job's result, {len(text)} bytes, was lost)"
        return self._write(job_id, False, reason)

    def _write(self, job_id: str, ok: bool, text: str) -> JobRecord | None:
        if ok:
            return self.store.finish_record(job_id, JobStatus.COMPLETED, result=text)
        return self.store.finish_record(job_id, JobStatus.FAILED, error=text)
