"""Qrisp deployments, persisted in the engine's database (table ``qrisp_deployments``).

A deployment is the circuit a Qrisp client uploads before it submits a job. Ids are unguessable
(``secrets.token_urlsafe``) and survive a restart because they live in the same SQL database as the jobs.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, String, Table, Text, insert, select

from qhost.engine.retention import RETENTION_COLUMN
from qhost.errors import NotFound

if TYPE_CHECKING:
    from qhost.engine.store import SqlStore

__all__ = ["Deployment", "DeploymentNotFound", "DeploymentStore"]

TABLE = "qrisp_deployments"


class DeploymentNotFound(NotFound):
    code = "deployment_not_found"


@dataclass(frozen=True)
class Deployment:
    id: str
    owner: str
    programs: tuple[str, ...]
    created_at: datetime


def _table(store: SqlStore) -> Table:
    return store.define_table(
        TABLE,
        Column("id", String(64), primary_key=True),
        Column("owner", String(256), nullable=False, default=""),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("programs", Text, nullable=False),
        info={RETENTION_COLUMN: "created_at"},  # gone after QHOST_RETENTION_DAYS, like finished jobs
    )


class DeploymentStore:
    """Insert and fetch deployments in the engine's store (its table created there if missing)."""

    def __init__(self, store: SqlStore) -> None:
        self.sql = store.sql
        self.table = _table(store)

    def create(self, programs: tuple[str, ...], owner: str = "") -> Deployment:
        deployment = Deployment(secrets.token_urlsafe(16), owner, programs, datetime.now(UTC))
        row = {
            "id": deployment.id,
            "owner": owner,
            "created_at": deployment.created_at,
            "programs": json.dumps(list(programs)),
        }
        with self.sql.begin() as conn:
            conn.execute(insert(self.table).values(**row))
        return deployment

    def get(self, deployment_id: str, owner: str | None = None) -> Deployment:
        """The deployment; ``owner`` (when given) must match unless the deployment has no owner.

        Raises:
            DeploymentNotFound: no such id for this owner.
        """
        with self.sql.connect() as conn:
            row = conn.execute(select(self.table).where(self.table.c.id == deployment_id)).first()
        if row is None or (owner is not None and row.owner not in ("", owner)):
            raise DeploymentNotFound(
                f"Deployment {deployment_id!r} not found; create one with POST /deployments"
            )
        return Deployment(row.id, row.owner, tuple(json.loads(row.programs)), row.created_at)
