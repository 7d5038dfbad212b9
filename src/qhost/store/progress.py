"""The ``job_progress`` table: how far a running job has got (PUBs, shots or circuits done of a total).

One row per job that reported progress (short jobs never do: see ``qhost.programs.progress``). Kept out of
the ``jobs`` table so no migration is needed and so the per-job hot path (insert, claim, finish) never
touches it. ``ProgressTable`` works on any database the store supports (an UPDATE, then an INSERT when
there was no row, inside one write transaction: one job has one writer at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, select

from qhost.errors import InvalidOption
from qhost.programs.progress import UNITS
from qhost.store.tables import JOB_PROGRESS

__all__ = ["UNITS", "ProgressTable", "define_progress"]


def define_progress(metadata: MetaData) -> Table:
    """The ``job_progress`` table on ``metadata`` (``updated_at`` is UTC ISO text, like the jobs table)."""
    return Table(
        JOB_PROGRESS,
        metadata,
        Column("job_id", String(64), primary_key=True),
        Column("done", Integer, nullable=False),
        Column("total", Integer, nullable=False),
        Column("unit", String(16), nullable=False),
        Column("updated_at", String(40), nullable=False),
    )


def check_progress(done: int, total: int, unit: str) -> None:
    """Raise ``InvalidOption`` unless ``0 <= done <= total``, ``total >= 1`` and ``unit`` is known."""
    for name, value in (("done", done), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidOption(f"progress {name} must be an integer, got {value!r}")
    if total < 1 or not 0 <= done <= total:
        raise InvalidOption(f"progress must satisfy 0 <= done <= total and total >= 1, got {done}/{total}")
    if unit not in UNITS:
        raise InvalidOption(f"Unknown progress unit {unit!r}; valid: {list(UNITS)}")


class ProgressTable:
    """The verbs on ``job_progress``; ``transaction`` / ``reading`` are the store's connection scopes."""

    def __init__(
        self,
        table: Table,
        transaction: Callable[[], AbstractContextManager[Connection]],
        reading: Callable[[], AbstractContextManager[Connection]],
    ) -> None:
        self.table, self._transaction, self._reading = table, transaction, reading

    def set(self, job_id: str, done: int, total: int, unit: str, now: str) -> None:
        check_progress(done, total, unit)
        t = self.table
        values = {"done": done, "total": total, "unit": unit, "updated_at": now}
        with self._transaction() as conn:
            if conn.execute(t.update().where(t.c.job_id == job_id).values(**values)).rowcount == 0:
                conn.execute(t.insert().values(job_id=job_id, **values))

    def get(self, job_id: str) -> dict[str, Any] | None:
        t = self.table
        with self._reading() as conn:
            row = conn.execute(select(t).where(t.c.job_id == job_id)).first()
        if row is None:
            return None
        return {"done": row.done, "total": row.total, "unit": row.unit, "updated_at": row.updated_at}

    def delete(self, conn: Connection, job_ids: Iterable[str]) -> None:
        ids = list(job_ids)
        if ids:
            conn.execute(self.table.delete().where(self.table.c.job_id.in_(ids)))
