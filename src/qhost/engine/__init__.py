"""The job engine: a persistent store, a bounded queue, warm workers, cancel and restart recovery.
May import programs (by name), executors.base (types) and errors; never a front door or HTTP.

Front doors code against ``JobEngine`` and ``SqlStore`` only::

    store = SqlStore("sqlite:////abs/path/qhost.db")
    engine = JobEngine(store, process_workers=2, thread_workers=8, max_queued=1000)
    engine.start()
    job = engine.submit(JobSpec(program="counts", backend="fake_manila@aer", inputs=...))
    engine.wait(job.id, timeout=30)

The names are imported on first use, so a worker process (which imports ``qhost.engine.workers``) does
not pay for SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qhost.engine.engine import JobEngine
    from qhost.engine.recovery import RESTART_REASON, recover
    from qhost.engine.spec import JobRecord, JobSpec
    from qhost.engine.status import ALLOWED, FINAL, JobStatus
    from qhost.engine.store import SqlStore

__all__ = [
    "ALLOWED",
    "FINAL",
    "RESTART_REASON",
    "JobEngine",
    "JobRecord",
    "JobSpec",
    "JobStatus",
    "SqlStore",
    "recover",
]

_HOMES = {
    "ALLOWED": "status",
    "FINAL": "status",
    "JobStatus": "status",
    "JobRecord": "spec",
    "JobSpec": "spec",
    "JobEngine": "engine",
    "SqlStore": "store",
    "RESTART_REASON": "recovery",
    "recover": "recovery",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qhost.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qhost.engine.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
