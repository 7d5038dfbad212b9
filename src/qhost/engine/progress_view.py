"""A job's progress as the front doors show it: done / total, percent, elapsed and the time left.

``job_progress(store, record)`` joins the job's last reported progress (the ``job_progress`` table) with
its state: a completed job shows ``done = total``; a ``counts`` or ``run_func`` job of one circuit shows
0 of 1 circuits while it runs and 1 of 1 once completed, from its state alone (the Qrisp door's per-job
hot path reads no extra row). A batch of N circuits (``meta["circuits"]``, set at submit) reads its
reports, and shows 0 of N while none was passed on yet. The
estimate is ``elapsed / done × (total − done)`` and exists only while the job runs and has done something.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from qhost.jobs.spec import JobRecord
from qhost.jobs.status import JobStatus
from qhost.store.sql_store import SqlStore

__all__ = ["job_progress", "progress_lines"]

_ONE_CIRCUIT = ("counts", "run_func")


def _reported(store: SqlStore, record: JobRecord) -> dict[str, Any] | None:
    if record.status is JobStatus.QUEUED:
        return None
    if record.spec.program in _ONE_CIRCUIT:
        total = record.spec.meta.get("circuits", 1)
        if not isinstance(total, int) or isinstance(total, bool) or total <= 1:  # one circuit: no store read
            return {
                "done": int(record.status is JobStatus.COMPLETED),
                "total": 1,
                "unit": "circuits",
                "updated_at": None,
            }
        row = store.get_progress(record.id) if record.status is not JobStatus.COMPLETED else None
        return row or {"done": 0, "total": total, "unit": "circuits", "updated_at": None}
    return store.get_progress(record.id)


def job_progress(store: SqlStore, record: JobRecord, now: datetime | None = None) -> dict[str, Any] | None:
    """``{"done", "total", "unit", "percent", "elapsed_s", "eta_s", "updated_at"}`` or None (nothing known).

    ``eta_s`` is None unless the job is running and has done at least one unit.
    """
    row = _reported(store, record)
    if row is None:
        return None
    done, total = row["done"], row["total"]
    if record.status is JobStatus.COMPLETED:
        done = total
    running = record.status is JobStatus.RUNNING
    end = (now or datetime.now(UTC)) if running else (record.finished_at or now or datetime.now(UTC))
    elapsed = (end - record.started_at).total_seconds() if record.started_at else None
    eta = None
    if running and elapsed is not None and 0 < done < total:
        eta = round(elapsed / done * (total - done), 3)
    return {
        "done": done,
        "total": total,
        "unit": row["unit"],
        "percent": round(100.0 * done / total, 1),
        "elapsed_s": None if elapsed is None else round(max(0.0, elapsed), 3),
        "eta_s": eta,
        "updated_at": row["updated_at"],
    }


_NOUN = {"pubs": "PUB", "shots": "shots", "circuits": "circuit"}


def progress_lines(store: SqlStore, record: JobRecord) -> list[str]:
    """Log lines for the job's progress, e.g. ``"PUB 2/5 done after 1.3 s"`` (the last report only)."""
    row = _reported(store, record)
    if row is None or record.started_at is None:
        return []
    done = row["total"] if record.status is JobStatus.COMPLETED else row["done"]
    at = row["updated_at"]
    when = datetime.fromisoformat(at) if at else (record.finished_at or datetime.now(UTC))
    after = max(0.0, (when - record.started_at).total_seconds())
    noun = _NOUN.get(row["unit"], row["unit"])
    return [f"{noun} {done}/{row['total']} done after {after:.1f} s"]
