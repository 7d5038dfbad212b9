"""A full disk under the job store, recognised and named.

SQLite answers a write on a full filesystem with ``SQLITE_FULL`` ("database or disk is full"), which
SQLAlchemy wraps in ``OperationalError``; the server used to show that as a 500 "see the server log".
``store_full_errors(where)`` turns it into ``StoreFull`` (507) naming the directory, so a client learns
what happened and an operator where to look. Reads keep working on a full disk; only writes fail.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from qhost.errors import StoreFull

__all__ = ["is_out_of_space", "out_of_space_message", "store_full_errors"]

_SQLITE_FULL = 13
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


def out_of_space_message(where: str) -> str:
    return f"job store out of space at {where}: free disk space there (or delete old jobs), then retry"


@contextmanager
def store_full_errors(where: str) -> Iterator[None]:
    """Re-raise an out-of-space error from the block as ``StoreFull`` naming ``where``."""
    try:
        yield
    except StoreFull:
        raise
    except Exception as exc:
        if is_out_of_space(exc):
            raise StoreFull(out_of_space_message(where)) from exc
        raise
