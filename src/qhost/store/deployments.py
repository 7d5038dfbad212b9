"""The ``qrisp_deployments`` table: circuits Qrisp clients upload before a job, as ``Deployment`` rows.

``DeploymentRows`` holds the SQL; who may use or claim an upload, and how long and how much unclaimed
uploads may wait, are the Qrisp door's rules (``qhost.server.deployments``). Rows go with old jobs
(``RETENTION_COLUMN``: ``created_at``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from qhost.jobs.records import Deployment
from qhost.store.tables import QRISP_DEPLOYMENTS, RETENTION_COLUMN

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["DeploymentRows"]


def _table(store: SqlStore) -> sa.Table:
    return store.define_table(
        QRISP_DEPLOYMENTS,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(256), nullable=False, default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("programs", sa.Text, nullable=False),
        info={RETENTION_COLUMN: "created_at"},  # gone after QHOST_RETENTION_DAYS, like finished jobs
    )


class DeploymentRows:
    """Insert, claim and read deployments in ``store`` (the table is created there if missing).

    Attributes:
        table: the ``qrisp_deployments`` table.
    """

    def __init__(self, store: SqlStore) -> None:
        self.sql = store.sql
        self.table = _table(store)

    def insert(self, deployment: Deployment) -> None:
        row = {
            "id": deployment.id,
            "owner": deployment.owner,
            "created_at": deployment.created_at,
            "programs": json.dumps(list(deployment.programs)),
        }
        with self.sql.begin() as conn:
            conn.execute(sa.insert(self.table).values(**row))

    def prune_and_measure(self, owner: str, before: datetime) -> int:
        """Delete ``owner``'s uploads made before ``before``; returns the bytes of QASM its others hold."""
        t = self.table
        with self.sql.begin() as conn:
            conn.execute(sa.delete(t).where(sa.and_(t.c.owner == owner, t.c.created_at < before)))
            held = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(sa.func.length(t.c.programs)), 0)).where(
                    t.c.owner == owner
                )
            ).scalar_one()
        return int(held)

    def claim(self, deployment_id: str, holder: str, owner: str, since: datetime) -> None:
        """Give the upload to ``owner`` if ``holder`` still holds it and it was made at or after ``since``."""
        t = self.table
        with self.sql.begin() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.id == deployment_id, t.c.owner == holder, t.c.created_at >= since)
                .values(owner=owner)
            )

    def get(self, deployment_id: str) -> Deployment | None:
        with self.sql.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.id == deployment_id)).first()
        if row is None:
            return None
        return Deployment(row.id, row.owner, tuple(json.loads(row.programs)), row.created_at)
