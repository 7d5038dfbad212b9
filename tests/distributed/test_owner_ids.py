"""Owner ids on PostgreSQL: one install secret for every replica, old (unsalted) ids moved to HMAC ids."""

from __future__ import annotations

import json

from qhost.config import Settings
from qhost.doorway.keys import OWNER_SECRET, KeyRing, legacy_owner_of_key
from qhost.jobs.spec import JobSpec
from qhost.store import SqlStore
from qhost.store.keys import install_secret


def test_replicas_share_the_secret_and_old_owner_ids_move(database_url: str) -> None:
    first, second = SqlStore(database_url), SqlStore(database_url)  # two replicas on one database
    try:
        assert install_secret(first, OWNER_SECRET) == install_secret(second, OWNER_SECRET)
        old = legacy_owner_of_key("pg-key")
        inputs = json.dumps({"qasm": "OPENQASM 2.0;", "shots": 1, "seed": None})
        record, _ = first.insert_job(JobSpec(program="counts", inputs=inputs, backend="ideal@aer", owner=old))
        ring = KeyRing.for_settings(Settings(api_keys=("pg-key",)), second)
        moved = second.get(record.id)
        assert moved.spec.owner == ring.owner("pg-key") != old
        assert KeyRing.for_settings(Settings(api_keys=("pg-key",)), first).owner("pg-key") == moved.spec.owner
    finally:
        first.close()
        second.close()
