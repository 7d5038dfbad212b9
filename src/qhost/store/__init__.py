"""The store: the one room that talks SQL (SQLAlchemy; SQLite's fast paths and PostgreSQL's details inside).

Jobs (``sql_store.SqlStore``), their progress, the distributed claims, schema and disk-full mapping live here.
It uses ``qhost.programs.progress`` (the progress units); never the engine, a front door or HTTP.

May import: qhost.jobs, qhost.programs, qhost.errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["SqlStore"]


def __getattr__(name: str) -> Any:
    """``SqlStore`` on first use, so a worker process that imports a store module's neighbour does not pay
    for SQLAlchemy."""
    if name != "SqlStore":
        raise AttributeError(f"module 'qhost.store' has no attribute {name!r}")
    value = importlib.import_module("qhost.store.sql_store").SqlStore
    globals()[name] = value
    return value
