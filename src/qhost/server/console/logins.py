"""Console sign-ins kept server-side (table ``console_logins`` in the engine's store).

The signed session cookie alone cannot be taken back: a copy of it stayed valid until it expired, after
logout too. Each sign-in is therefore a row (a random id, the owner, admin or not, when it ends); the
cookie carries the id, and a request is signed in only while its row exists and has not ended. Logout
deletes the row; a server started without a key deletes the rows of that key's owner; rows that ended
are deleted at start and at each sign-in.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from qhost.store.logins import LoginRows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from qhost.store.sql_store import SqlStore

__all__ = ["ConsoleLogins"]


class ConsoleLogins:
    """Create, check and end console sign-ins in ``store``."""

    def __init__(self, store: SqlStore) -> None:
        self.rows = LoginRows(store)

    def start(self, owner: str, admin: bool, lifetime: timedelta) -> str:
        """A new sign-in of ``owner`` that ends after ``lifetime``; returns its id."""
        login_id = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        self.rows.insert(login_id, owner, admin, now + lifetime, now)
        return login_id

    def valid(self, login_id: str, owner: str, admin: bool) -> bool:
        """Whether sign-in ``login_id`` of ``owner`` (admin or not) exists and has not ended."""
        found = self.rows.get(login_id)
        if found is None or found[0] != owner or found[1] != admin:
            return False
        return bool(found[2] > datetime.now(UTC))

    def end(self, login_id: str) -> None:
        self.rows.delete(login_id)

    def prune(self, owners: Iterable[str]) -> None:
        """Delete sign-ins that ended, and those of owners whose key the server no longer accepts."""
        self.rows.prune(datetime.now(UTC), owners)
