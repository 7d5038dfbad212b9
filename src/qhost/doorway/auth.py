"""API keys, IAM-style tokens and job owners, with no web framework (the Flask glue: ``qhost.server.auth``).

With API keys or admin keys configured (``--api-key`` / ``--admin-key``), each key is one *owner* (its
id an HMAC under the install secret, ``qhost.doorway.keys``): jobs and sessions are visible to that owner
only. ``Authenticator.issue_token`` swaps a key for a signed JWT (``POST /identity/token``;
HS256, secret persisted in the data dir, ``exp``/``iat`` claims the stock client reads), and API
calls carry ``Authorization: Bearer <jwt>`` or ``Authorization: apikey <key>``. An unknown key or a
bad token raises ``AuthError`` (401). With no keys configured any token works and the owner is ``""``.
Failed logins are throttled per client address (``qhost.doorway.throttle``).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

import jwt

from qhost.doorway.keys import KeyRing
from qhost.errors import AuthError

__all__ = ["TOKEN_TTL", "Authenticator", "load_secret"]

TOKEN_TTL = 3600
"""Seconds an issued access token is valid."""
_SECRET_FILE = "ibm_token_secret"
_TOKEN_CACHE_SIZE = 1024
"""Verified tokens remembered per ``Authenticator`` (the cache is emptied when it fills)."""


def load_secret(data_dir: Path, name: str = _SECRET_FILE) -> bytes:
    """A server secret (file ``name`` in the data dir), created (mode 0600) once and kept across restarts."""
    path = Path(data_dir) / name
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


class Authenticator:
    """Checks keys and tokens and names the owner of a request."""

    def __init__(self, keys: KeyRing, secret: bytes) -> None:
        self.keys = keys
        self.secret = secret
        self._verified: dict[str, tuple[str, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.keys.enabled

    def owner_for_key(self, key: str | None) -> str:
        """The owner of an API key; ``AuthError`` for an unknown one (when keys are configured)."""
        if not self.enabled:
            return ""
        return self.keys.require(
            key, "Unknown API key; use one of the keys the server was started with (--api-key, --admin-key)"
        )

    def issue_token(self, apikey: str | None) -> dict[str, Any]:
        """The IAM ``/identity/token`` answer for an API key."""
        owner = self.owner_for_key(apikey)
        now = int(time.time())
        claims = {"sub": owner, "iat": now, "exp": now + TOKEN_TTL, "iss": "qhost"}
        token = jwt.encode(claims, self.secret, algorithm="HS256")
        return {
            "access_token": token,
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "expiration": now + TOKEN_TTL,
            "scope": "ibm openid",
        }

    def owner_from_header(self, authorization: str | None) -> str:
        """The owner of a request from its ``Authorization`` header."""
        if not self.enabled:
            return ""
        scheme, _, credential = (authorization or "").strip().partition(" ")
        if scheme.lower() == "apikey":
            return self.owner_for_key(credential.strip())
        if scheme.lower() == "bearer" and credential:
            return self._owner_from_token(credential.strip())
        raise AuthError("Missing credentials: send 'Authorization: Bearer <token from /identity/token>'")

    def _owner_from_token(self, token: str) -> str:
        """The token's owner; a verified token is remembered (owner, ``exp``) so later calls skip the JWT."""
        cached = self._verified.get(token)
        if cached is not None and time.time() < cached[1]:
            return cached[0]
        owner, expires = self._verify(token)
        if len(self._verified) >= _TOKEN_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (owner, expires)
        return owner

    def _verify(self, token: str) -> tuple[str, float]:
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=["HS256"], options={"require": ["exp", "iat", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("Access token expired; request a new one from /identity/token") from None
        except jwt.PyJWTError:
            raise AuthError(
                "Invalid access token; request one from /identity/token with a valid API key"
            ) from None
        owner = str(claims["sub"])
        owner = self.keys.legacy.get(owner, owner)  # a token issued before owner ids were HMACs
        if owner not in self.keys.owners:
            raise AuthError("Access token belongs to a key this server no longer accepts")
        return owner, float(claims["exp"])
