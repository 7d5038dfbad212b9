"""Keys and owners: which keys open the doors, and the owner id each key stands for.

Every key the server was given, ``--api-key`` and ``--admin-key`` alike, is a key on every door (Qrisp, IBM
Runtime, Thrift, console, ``/metrics``); configuring either turns authentication on everywhere. Each key is
one *owner*, whose id is ``key-`` + the first 24 hex digits of ``HMAC-SHA256(install secret, key)``: the id
appears in the access log and the store, and without the install secret a weak key cannot be guessed from it
offline. An admin key is an owner like any other on the REST and Thrift doors; only the console lets it see
and cancel every job.

The install secret is a row of the job store (table ``qhost_install_secrets``), created on first use, so
every ``qhost serve`` replica on one database (distributed mode) derives the same ids. Owner ids of earlier
versions (``key-`` + ``sha256(key)[:16]``, unsalted) are moved to the new ids, in every table of the store
with an ``owner`` column, when a ``KeyRing`` is built for the configured keys (server start-up).

May import: ``qhost.errors``, ``qhost.store`` (the install secret and owner moves are its SQL).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from qhost.errors import AuthError
from qhost.store import keys as store_keys

if TYPE_CHECKING:
    from qhost.config import Settings
    from qhost.store.sql_store import SqlStore

__all__ = [
    "OWNER_SECRET",
    "KeyRing",
    "key_matches",
    "legacy_owner_of_key",
    "owner_of_key",
]

OWNER_SECRET = "owner_ids"
"""Name of the install secret owner ids are derived with (a row of ``qhost_install_secrets``)."""
_OWNER_HEX = 24


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def owner_of_key(key: str, secret: bytes) -> str:
    """The owner id of ``key`` under the install ``secret`` (an HMAC: reveals nothing about the key)."""
    return "key-" + hmac.new(secret, _bytes(key), hashlib.sha256).hexdigest()[:_OWNER_HEX]


def legacy_owner_of_key(key: str) -> str:
    """The owner id qhost ≤ 1847a13 stored (unsalted ``sha256(key)[:16]``); only for migrating rows."""
    return "key-" + hashlib.sha256(_bytes(key)).hexdigest()[:16]


def key_matches(candidate: object, keys: tuple[str, ...] | list[str]) -> bool:
    """Whether ``candidate`` is one of ``keys``, compared in constant time as UTF-8 bytes.

    ``hmac.compare_digest`` refuses ``str`` with non-ASCII characters (``TypeError``), so a key such as
    ``"ключ"`` must be compared as bytes; anything that is not a non-empty string matches nothing.
    """
    if not isinstance(candidate, str) or not candidate:
        return False
    given = _bytes(candidate)
    return any(hmac.compare_digest(given, _bytes(key)) for key in keys)


class KeyRing:
    """The server's keys (API keys and admin keys) and their owner ids.

    Args:
        api_keys: ``--api-key`` values.
        admin_keys: ``--admin-key`` values (keys too; the console lets them see every job).
        secret: the install secret owner ids are derived with.
    """

    def __init__(self, api_keys: tuple[str, ...], admin_keys: tuple[str, ...], secret: bytes) -> None:
        self.admin_keys = tuple(k for k in admin_keys if k)
        self.keys = tuple(dict.fromkeys([k for k in api_keys if k] + list(self.admin_keys)))
        self.secret = secret
        self.owners = frozenset(owner_of_key(k, secret) for k in self.keys)
        self.admin_owners = frozenset(owner_of_key(k, secret) for k in self.admin_keys)
        self.legacy = {legacy_owner_of_key(k): owner_of_key(k, secret) for k in self.keys}

    @classmethod
    def for_settings(cls, settings: Settings, store: SqlStore, *, migrate: bool = True) -> KeyRing:
        """The key ring of ``settings`` on ``store`` (its install secret); moves old owner ids when asked."""
        ring = cls(settings.api_keys, settings.admin_keys, store_keys.install_secret(store, OWNER_SECRET))
        if migrate and ring.enabled:
            store_keys.migrate_owners(store, ring.legacy)
        return ring

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def owner(self, key: object) -> str | None:
        """The owner id of ``key``; None when it is not one of the server's keys."""
        if not key_matches(key, self.keys):
            return None
        return owner_of_key(str(key), self.secret)

    def require(self, key: object, message: str) -> str:
        """The owner id of ``key``.

        Raises:
            AuthError: ``key`` is missing or not one of the server's keys (``message`` says how to send one).
        """
        owner = self.owner(key)
        if owner is None:
            raise AuthError(message)
        return owner

    def is_admin(self, key: object) -> bool:
        return key_matches(key, self.admin_keys)

    def hash_token(self, token: str) -> str:
        """A keyed hash of a credential a job carried (stored instead of the credential itself)."""
        return "hmac-" + hmac.new(self.secret, _bytes(token), hashlib.sha256).hexdigest()[:32]
