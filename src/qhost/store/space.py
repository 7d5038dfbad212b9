"""A full disk under the job store, recognised and named.

SQLite answers a write on a full filesystem with ``SQLITE_FULL`` ("database or disk is full"), which
SQLAlchemy wraps in ``OperationalError``; the server used to show that as a 500 "see the server log".
``store_full_errors(where)`` turns it into ``StoreFull`` (507) saying what to do; the directory
(``where``) goes to the server log only (at most once a minute), never to a client. Reads keep working
on a full disk; only writes fail.
Likewise a database another process kept locked past ``busy_timeout`` ("database is locked", e.g. an
operator's ``sqlite3`` shell in a write transaction) becomes ``StoreBusy`` (503, retry later), not a 500.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from qhost.errors import StoreBusy, StoreFull

__all__ = ["is_locked", "is_out_of_space", "log_where", "out_of_space_message", "store_full_errors"]

log = logging.getLogger(__name__)

_SQLITE_FULL = 13
_LOG_EVERY = 60.0
"""Seconds between two log lines naming the full (or locked) store's directory."""
_logged: dict[str, float] = {}
_logged_lock = threading.Lock()
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


def is_out_of_space(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it wraps) says the disk or the database is full."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, StoreFull):
            return True
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL or "disk is full" in str(exc)
        ):
            return True
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
        seen += 1
    return False


def is_locked(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it wraps) is SQLite's "database is locked" after its busy timeout."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, sqlite3.OperationalError) and "database is locked" in str(exc):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
        seen += 1
    return False


def out_of_space_message(where: str = "") -> str:
    """What a client is told about a full store: what to do, never the server's path (``where`` is unused
    here; ``log_where`` names it in the server log)."""
    del where
    return (
        "job store out of space: the server's data directory has no free disk space; "
        "free disk space there (or delete old jobs), then retry"
    )


def log_where(what: str, where: str) -> None:
    """Name the store's directory in the server log (``what`` happened there), at most once a minute."""
    now = time.monotonic()
    with _logged_lock:
        if now - _logged.get(what + where, -_LOG_EVERY) < _LOG_EVERY:
            return
        _logged[what + where] = now
    log.error("job store %s at %s", what, where)


@contextmanager
def store_full_errors(where: str) -> Iterator[None]:
    """Re-raise an out-of-space error from the block as ``StoreFull`` naming ``where``; a lock that
    outlasted the busy timeout as ``StoreBusy``."""
    try:
        yield
    except (StoreFull, StoreBusy):
        raise
    except Exception as exc:
        if is_out_of_space(exc):
            log_where("out of space", where)
            raise StoreFull(out_of_space_message()) from exc
        if is_locked(exc):
            log_where("locked by another writer", where)
            raise StoreBusy(
                "job store is locked by another writer (SQLite busy timeout); retry shortly"
            ) from exc
        raise
