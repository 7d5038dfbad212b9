"""Restart recovery: what happens to jobs the server was running when it stopped.

Decision: a job that was RUNNING when the server stopped (cleanly or by ``kill -9``) is **failed** with
the reason ``"server restarted: job was running when the server stopped"``; it is never re-queued.
Programs may have side effects (a user ``run_func`` might call out to real hardware or bill someone),
so running one twice is not safe to do silently; the client sees the failure and resubmits if it wants.
QUEUED jobs need no recovery: they stay in the store and run once the engine starts again. Finished
results stay where they are.

``recover()`` runs on every ``JobEngine.start()`` (all RUNNING rows then belong to a previous process)
and periodically while the engine runs, for RUNNING rows that no live worker of ours holds and whose
heartbeat is old. One failing row is logged and skipped; it never aborts the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from qhost.jobs.status import JobStatus
from qhost.store.sql_store import SqlStore

__all__ = ["LOST_REASON", "RESTART_REASON", "recover"]

log = logging.getLogger(__name__)

RESTART_REASON = "server restarted: job was running when the server stopped"
"""Failure reason of jobs found RUNNING when the engine starts."""

LOST_REASON = "worker lost: job was running but its worker stopped reporting"
"""Failure reason of RUNNING jobs no live worker holds and whose heartbeat is stale."""


def recover(
    store: SqlStore,
    *,
    live_job_ids: Collection[str] = (),
    heartbeat_before: datetime | str | None = None,
    reason: str = RESTART_REASON,
) -> list[str]:
    """Fail RUNNING jobs whose worker is gone.

    Args:
        store: the job store.
        live_job_ids: jobs a live worker of this engine is running; they are left alone.
        heartbeat_before: only consider jobs whose last heartbeat is older than this (None: all).
        reason: the failure reason to record.

    Returns:
        The ids of the jobs that were failed.
    """
    failed: list[str] = []
    for job_id, pid in store.list_stale(heartbeat_before):
        if job_id in live_job_ids:
            continue
        try:
            if store.finish(job_id, JobStatus.FAILED, error=reason):
                log.warning("recover: job %s abandoned (pid %s): %s", job_id, pid, reason)
                failed.append(job_id)
        except Exception:  # one broken row must not stop the others from being recovered
            log.exception("recover: could not fail job %s", job_id)
    return failed
