"""Records that several rooms share besides jobs: an IBM session (``SessionRecord``) and a Qrisp upload
(``Deployment``).

They live in the model, not beside the doors that use them, because the store builds them from its rows
(``qhost.store.sessions``, ``qhost.store.deployments``) and the store sits below the engine and the doors:
a record defined above it would make the store import upward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Deployment", "SessionRecord"]


@dataclass(frozen=True)
class SessionRecord:
    """One IBM Runtime session (or batch) as stored."""

    id: str
    owner: str
    backend: str
    mode: str
    max_ttl: int
    created_at: datetime
    accepting_jobs: bool = True
    closed_at: datetime | None = None

    @property
    def expires_at(self) -> datetime:
        """``created_at + max_ttl``; the end of time for a TTL past it (a row stored before the limit)."""
        try:
            return self.created_at + timedelta(seconds=self.max_ttl)
        except OverflowError:
            return datetime.max.replace(tzinfo=UTC)

    def is_open(self, now: datetime | None = None) -> bool:
        """True while the session takes new jobs (not closed, TTL not exceeded)."""
        return self.accepting_jobs and self.closed_at is None and (now or datetime.now(UTC)) < self.expires_at

    @property
    def serial_key(self) -> str | None:
        """The engine serial key for this session's jobs: its id for dedicated sessions."""
        return self.id if self.mode == "dedicated" else None


@dataclass(frozen=True)
class Deployment:
    """A Qrisp upload: the circuits a client sends before the job that names them."""

    id: str
    owner: str
    programs: tuple[str, ...]
    created_at: datetime
