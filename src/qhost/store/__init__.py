"""The store: the one room that talks SQL (SQLAlchemy; SQLite's fast paths and PostgreSQL's details inside).

Nothing outside it imports ``sqlalchemy``, ``sqlite3`` or ``psycopg`` (``tests/store/test_boundary.py``).
Its interface: jobs and their progress (``sql_store.SqlStore``), the distributed claims (``claims``), IBM
sessions (``sessions``), Qrisp deployments (``deployments``), install secrets and owner moves (``keys``),
console sign-ins (``logins``), console and ``/metrics`` reads (``listing``), retention's deletes
(``retention``); every table name is a constant of ``tables``; schema and disk-full mapping live here too.
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
