"""IBM Runtime sessions and batches on top of the job engine.

A *dedicated* session runs its jobs one at a time in submission order (its id becomes the jobs'
``serial_key``); a *batch* only groups jobs, which spread over the workers. A session accepts jobs
until it is closed (``PATCH accepting_jobs=false``, ``DELETE …/close``) or its ``max_ttl`` runs out;
then a job for it raises ``SessionClosed``. Cancelling a session also cancels its queued jobs, and so
does running out of ``max_ttl`` (as on IBM, an expired session runs nothing more). Expiry is applied
when the session is next looked up (any session call, a job submitted to it, a status poll of one of
its queued jobs) and, for sessions nobody asks about, by a sweep the engine's dispatcher runs every
``EXPIRY_SWEEP_S`` seconds: a queued job of an expired session may start at most that late.
Sessions live in the store next to the engine's jobs (``qhost.store.sessions``), so they survive
restarts; ``SessionRecord`` is part of the job model (``qhost.jobs.records``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from qhost.errors import InvalidJobTransition, InvalidOption, SessionClosed, SessionNotFound
from qhost.jobs.records import SessionRecord
from qhost.jobs.status import JobStatus
from qhost.store.sessions import SessionRows

if TYPE_CHECKING:
    from qhost.engine import JobEngine

__all__ = ["DEFAULT_MAX_TTL", "EXPIRY_SWEEP_S", "MAX_MAX_TTL", "MODES", "SessionManager"]

log = logging.getLogger(__name__)

DEFAULT_MAX_TTL = 28800
"""Seconds a session lives when the client does not say (IBM's default, 8 h)."""
MAX_MAX_TTL = 30 * 24 * 3600
"""Longest ``max_ttl`` a client may ask for, in seconds (30 days); more is a 400, nothing is stored."""
EXPIRY_SWEEP_S = 1.0
"""How often the engine's dispatcher closes sessions past their ``max_ttl`` that nobody looked up."""
MODES = ("dedicated", "batch")
"""Session modes the client sends (``Session`` → dedicated, ``Batch`` → batch)."""


def _now() -> datetime:
    return datetime.now(UTC)


class SessionManager:
    """Create, look up, close and cancel sessions of one engine."""

    def __init__(self, engine: JobEngine) -> None:
        self.engine = engine
        self.rows = SessionRows(engine.store)
        self.table = self.rows.table
        self._broken: set[str] = set()  # sessions whose rows the sweep could not read (logged once)
        engine.every(EXPIRY_SWEEP_S, self.expire_due)

    def expire_due(self) -> list[str]:
        """Close every session past its ``max_ttl`` and cancel its queued jobs; returns their ids.

        Each session is read and expired on its own: a row that cannot be read or expired (a date or TTL
        out of range, written by an older version) is logged once and skipped, never stopping the sweep.
        """
        due: list[str] = []
        for session_id in self.rows.open_ids():
            try:
                if self.get(session_id).closed_at is not None:
                    due.append(session_id)
            except Exception:
                if session_id not in self._broken:
                    self._broken.add(session_id)
                    log.exception("session expiry: skipping session %s, whose row cannot be read", session_id)
        return due

    def create(self, owner: str, backend: str, mode: str, max_ttl: int | None = None) -> SessionRecord:
        """Open a new session. Raises ``InvalidOption`` for an unknown mode or a bad TTL."""
        if mode not in MODES:
            raise InvalidOption(f"Unknown session mode {mode!r}; valid: {list(MODES)}")
        ttl = DEFAULT_MAX_TTL if max_ttl is None else max_ttl
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_MAX_TTL:
            raise InvalidOption(
                f"max_ttl must be a whole number of seconds from 1 to {MAX_MAX_TTL} (30 days), "
                f"got {max_ttl!r}"
            )
        rec = SessionRecord(uuid.uuid4().hex[:20], owner, backend, mode, ttl, _now())
        self.rows.insert(rec)
        return rec

    def get(self, session_id: str, owner: str | None = None) -> SessionRecord:
        """The session, closed first if its TTL ran out. ``SessionNotFound`` for another owner's."""
        rec = self.rows.get(session_id, owner)
        if rec is None:
            raise SessionNotFound(f"Session {session_id} not found")
        if rec.closed_at is None and not rec.is_open():
            expired = rec.accepting_jobs  # still accepting: it closed by running out of max_ttl
            rec = self._update(rec, accepting_jobs=False, closed_at=min(_now(), rec.expires_at))
            if expired:
                self._cancel_queued(rec.id, owner)
        return rec

    def require_open(self, session_id: str, owner: str | None = None) -> SessionRecord:
        """The session if it still takes jobs, else ``SessionClosed``."""
        rec = self.get(session_id, owner)
        if not rec.is_open():
            raise SessionClosed(f"Session {session_id} is closed and accepts no new jobs; open a new session")
        return rec

    def set_accepting(self, session_id: str, accepting: bool, owner: str | None = None) -> SessionRecord:
        """``PATCH {"accepting_jobs": …}``; closing stops new jobs and lets queued ones finish."""
        rec = self.get(session_id, owner)
        if accepting and rec.closed_at is not None:
            raise SessionClosed(f"Session {session_id} is closed and cannot be reopened")
        closed_at = None if accepting else (rec.closed_at or _now())
        return self._update(rec, accepting_jobs=accepting, closed_at=closed_at)

    def cancel(self, session_id: str, owner: str | None = None) -> SessionRecord:
        """``DELETE …/close``: close the session and cancel its queued jobs."""
        rec = self.set_accepting(session_id, False, owner)
        self._cancel_queued(session_id, owner)
        return rec

    def _cancel_queued(self, session_id: str, owner: str | None) -> None:
        jobs, _ = self.engine.list_jobs(
            owner, session_id=session_id, statuses=[JobStatus.QUEUED], limit=100_000
        )
        for job in jobs:
            try:
                self.engine.cancel(job.id, owner)
            except InvalidJobTransition:
                continue  # it started or finished meanwhile

    def state(self, rec: SessionRecord) -> str:
        """IBM's session state: ``open`` (no job yet), ``active``, or ``closed``."""
        if not rec.is_open():
            return "closed"
        _, count = self.engine.list_jobs(None, session_id=rec.id, limit=1)
        return "active" if count else "open"

    def _update(self, rec: SessionRecord, **values: object) -> SessionRecord:
        self.rows.update(rec.id, **values)
        fields = {**rec.__dict__, **values}
        return SessionRecord(**fields)  # type: ignore[arg-type]
