"""The job engine: a bounded queue, warm workers, cancel and restart recovery, over the store.

Never a front door or HTTP; programs are run by name. Rooms inside: ``local`` (the worker processes and
threads of one machine), ``distributed`` (RQ on Redis), ``chores`` (housekeeping and retention).

Front doors code against ``JobEngine`` (and ``qhost.store.SqlStore``) only::

    store = SqlStore("sqlite:////abs/path/qhost.db")
    engine = JobEngine(store, process_workers=2, thread_workers=8, max_queued=1000)
    engine.start()
    job = engine.submit(JobSpec(program="counts", backend="fake_manila@aer", inputs=...))
    engine.wait(job.id, timeout=30)

The names are imported on first use, so a worker process (which imports ``qhost.engine.local.workers``) does
not pay for SQLAlchemy.

May import: qhost.engine.local, qhost.engine.chores, qhost.store, qhost.jobs, qhost.programs, qhost.executors,
qhost.devices, qhost.errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qhost.engine.engine import JobEngine
    from qhost.engine.recovery import RESTART_REASON, recover

__all__ = ["RESTART_REASON", "JobEngine", "recover"]

_HOMES = {
    "JobEngine": "engine",
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
