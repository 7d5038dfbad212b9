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

import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from qhost.errors import NotFound, QueueFull
from qhost.jobs.records import Deployment
from qhost.store.deployments import DeploymentRows

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["UNCLAIMED_BYTES", "UNCLAIMED_TTL", "DeploymentNotFound", "DeploymentStore"]

UNCLAIMED = "-unclaimed"
"""Owner of a keyless upload made while keys are on, until a job with a key claims it."""
UNCLAIMED_TTL = 600.0
"""Seconds a keyless upload (keys on) waits to be claimed by a job; then it is gone."""
UNCLAIMED_BYTES = 64 * 1024 * 1024
"""Most bytes of QASM all unclaimed uploads hold together (keys on); more get 503 until some are claimed."""


class DeploymentNotFound(NotFound):
    code = "deployment_not_found"


class DeploymentStore:
    """Insert and fetch deployments in the engine's store (its table created there if missing)."""

    def __init__(self, store: SqlStore) -> None:
        self.rows = DeploymentRows(store)
        self.table = self.rows.table
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
        held = self.rows.prune_and_measure(UNCLAIMED, datetime.now(UTC) - timedelta(seconds=UNCLAIMED_TTL))
        if held + size > UNCLAIMED_BYTES:
            raise QueueFull(
                f"Too many keyless uploads wait to be claimed (limit {UNCLAIMED_BYTES} bytes): send the key "
                "with POST /deployments ('Authorization: Bearer <key>'), or retry once jobs have claimed them"
            )

    def _insert(self, programs: tuple[str, ...], owner: str) -> Deployment:
        deployment = Deployment(secrets.token_urlsafe(16), owner, programs, datetime.now(UTC))
        self.rows.insert(deployment)
        return deployment

    def get(self, deployment_id: str, owner: str | None = None) -> Deployment:
        """The deployment; ``owner`` (keys on) must be its owner, or claims it when it is unclaimed.

        Raises:
            DeploymentNotFound: no such id for this owner (another owner's, or unclaimed for too long).
        """
        if owner is not None:  # the first keyed job to name an unclaimed upload claims it
            cutoff = datetime.now(UTC) - timedelta(seconds=UNCLAIMED_TTL)
            self.rows.claim(deployment_id, UNCLAIMED, owner, cutoff)
        found = self.rows.get(deployment_id)
        mine = found is not None and (found.owner == owner if owner is not None else found.owner != UNCLAIMED)
        if found is None or not mine:
            raise DeploymentNotFound(
                f"Deployment {deployment_id!r} not found; create one with POST /deployments"
            )
        return found
