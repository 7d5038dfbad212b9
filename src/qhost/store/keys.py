"""Install secrets and owner-id moves: the SQL half of ``qhost.doorway.keys``.

``install_secret`` keeps each secret as a row of ``qhost_install_secrets``, created once (random, 32 bytes)
and then read by every process and replica on the store. ``migrate_owners`` moves rows from old owner ids to
new ones in every table of the database with an ``owner`` column.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from qhost.store.tables import INSTALL_SECRETS

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["install_secret", "migrate_owners"]

log = logging.getLogger(__name__)


def _secrets_table(store: SqlStore) -> sa.Table:
    return store.define_table(
        INSTALL_SECRETS,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def install_secret(store: SqlStore, name: str) -> bytes:
    """The install secret ``name`` kept in the store: created once (random, 32 bytes), then read by every
    process and replica on that store."""
    table = _secrets_table(store)
    with store.sql.connect() as conn:
        row = conn.execute(sa.select(table.c.value).where(table.c.name == name)).first()
    if row is None:
        try:
            with store.sql.begin() as conn:
                conn.execute(sa.insert(table).values(name=name, value=secrets.token_hex(32)))
        except IntegrityError:  # another replica created it first: read theirs
            pass
        with store.sql.connect() as conn:
            row = conn.execute(sa.select(table.c.value).where(table.c.name == name)).first()
    if row is None:  # pragma: no cover - the insert above either succeeded or lost to another one
        raise RuntimeError(f"install secret {name!r} could not be created")
    return bytes.fromhex(str(row.value))


def migrate_owners(store: SqlStore, moves: dict[str, str]) -> int:
    """Move rows owned by each old id to its new id, in every table with an ``owner`` column; rows moved."""
    if not moves:
        return 0
    inspector = sa.inspect(store.sql)
    moved = 0
    for name in inspector.get_table_names():
        if "owner" not in {column["name"] for column in inspector.get_columns(name)}:
            continue
        table = sa.table(name, sa.column("owner"))
        try:
            with store.sql.begin() as conn:
                for old, new in moves.items():
                    done = conn.execute(sa.update(table).where(table.c.owner == old).values(owner=new))
                    moved += max(0, done.rowcount or 0)
        except SQLAlchemyError:
            log.exception("could not move old owner ids to new ones in table %s", name)
    if moved:
        log.info("moved %d rows from old (unsalted) owner ids to HMAC owner ids", moved)
    return moved
