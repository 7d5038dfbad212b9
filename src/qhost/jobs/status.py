"""Job states and the transitions the store allows.

The store enforces ``ALLOWED`` in SQL (``UPDATE … WHERE status IN (…)``) so two
threads or processes can never move one job along two paths.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ALLOWED", "FINAL", "JobStatus"]


class JobStatus(StrEnum):
    """Where a job is in its life. The values are what the store and Qrisp-style JSON carry."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL


FINAL: frozenset[JobStatus] = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.FAILED}),
    # RUNNING -> QUEUED is the recovery path when a job is re-queued after a restart.
    JobStatus.RUNNING: frozenset(
        {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.QUEUED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}
