"""Qrisp deployments, persisted in the engine's database (table ``qrisp_deployments``).

A deployment is the circuit a Qrisp client uploads before it submits a job. Ids are unguessable
(``secrets.token_urlsafe``) and survive a restart because they live in the same SQL database as the jobs.

Owners: with keys on, an upload that carries a key (``Authorization: Bearer <key>`` or a ``token`` field)
belongs to that key's owner, and only that owner's jobs can use it. Qrisp ≤ 0.8.2's client uploads with no
key at all (its key travels only with the job), so a keyless upload is kept *unclaimed*: the first job that
names it with a valid key claims it for its owner (every other owner then gets 404), it expires unclaimed
after ``UNCLAIMED_TTL`` seconds, and all unclaimed uploads together hold at most ``UNCLAIMED_BYTES``
(further keyless uploads get 503 ``queue_full`` until some are claimed or expire).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, String, Table, Text, and_, delete, func, insert, select, update

from qhost.engine.chores.retention import RETENTION_COLUMN
from qhost.errors import NotFound, QueueFull

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["UNCLAIMED_BYTES", "UNCLAIMED_TTL", "Deployment", "DeploymentNotFound", "DeploymentStore"]

TABLE = "qrisp_deployments"
UNCLAIMED = "-unclaimed"
"""Owner of a keyless upload made while keys are on, until a job with a key claims it."""
UNCLAIMED_TTL = 600.0
"""Seconds a keyless upload (keys on) waits to be claimed by a job; then it is gone."""
UNCLAIMED_BYTES = 64 * 1024 * 1024
"""Most bytes of QASM all unclaimed uploads hold together (keys on); more get 503 until some are claimed."""


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
        self._unclaimed_lock = threading.Lock()

    def create(self, programs: tuple[str, ...], owner: str = "") -> Deployment:
        """Store an upload for ``owner`` (``""``: keys off; ``UNCLAIMED``: keys on but no key sent).

        Raises:
            QueueFull: an unclaimed upload while unclaimed uploads already hold ``UNCLAIMED_BYTES``.
        """
        if owner == UNCLAIMED:
            with self._unclaimed_lock:
                self._make_room(sum(len(p) for p in programs))
                return self._insert(programs, owner)
        return self._insert(programs, owner)

    def _make_room(self, size: int) -> None:
        table = self.table
        cutoff = datetime.now(UTC) - timedelta(seconds=UNCLAIMED_TTL)
        with self.sql.begin() as conn:
            conn.execute(delete(table).where(and_(table.c.owner == UNCLAIMED, table.c.created_at < cutoff)))
            held = conn.execute(
                select(func.coalesce(func.sum(func.length(table.c.programs)), 0)).where(
                    table.c.owner == UNCLAIMED
                )
            ).scalar_one()
        if int(held) + size > UNCLAIMED_BYTES:
            raise QueueFull(
                f"Too many keyless uploads wait to be claimed (limit {UNCLAIMED_BYTES} bytes): send the key "
                "with POST /deployments ('Authorization: Bearer <key>'), or retry once jobs have claimed them"
            )

    def _insert(self, programs: tuple[str, ...], owner: str) -> Deployment:
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
        """The deployment; ``owner`` (keys on) must be its owner, or claims it when it is unclaimed.

        Raises:
            DeploymentNotFound: no such id for this owner (another owner's, or unclaimed for too long).
        """
        table = self.table
        if owner is not None:
            cutoff = datetime.now(UTC) - timedelta(seconds=UNCLAIMED_TTL)
            with self.sql.begin() as conn:  # the first keyed job to name an unclaimed upload claims it
                conn.execute(
                    update(table)
                    .where(
                        table.c.id == deployment_id, table.c.owner == UNCLAIMED, table.c.created_at >= cutoff
                    )
                    .values(owner=owner)
                )
        with self.sql.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == deployment_id)).first()
        mine = row is not None and (row.owner == owner if owner is not None else row.owner != UNCLAIMED)
        if row is None or not mine:
            raise DeploymentNotFound(
                f"Deployment {deployment_id!r} not found; create one with POST /deployments"
            )
        return Deployment(row.id, row.owner, tuple(json.loads(row.programs)), row.created_at)
