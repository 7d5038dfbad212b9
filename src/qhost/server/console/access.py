"""Who is looking at the console: API-key login, a signed session cookie, CSRF tokens.

With API keys or admin keys configured (``--api-key``, ``--admin-key``), the console asks for a key once
and keeps ``{owner, admin, csrf}`` in Flask's signed session cookie (path ``/console``, HttpOnly,
SameSite=Lax). The owner id is the REST doors' (``qhost.doorway.keys``), so a user sees the
jobs they submitted with that key and nobody else's; an admin key sees and cancels every job. A cookie
whose signature does not verify is ignored (the user is asked to log in again); one naming an owner the
server no longer accepts is dropped. Every POST must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``). Without keys, everybody is an admin and POSTs still need the
token (so a foreign page cannot make a visitor's browser cancel jobs).

Session hygiene: a sign-in lasts ``Settings.console_session_hours`` (12 h): the cookie's ``Max-Age``, the
age its signature is accepted for, and the end of its server-side row (``logins.ConsoleLogins``), so logout
and a key's removal end every copy of the cookie. The cookie is ``Secure`` when the request came over HTTPS
(directly, or per ``X-Forwarded-Proto`` from ``Settings.trusted_proxy``). Console answers forbid framing
(``Content-Security-Policy: frame-ancestors 'none'``, ``X-Frame-Options: DENY``): no clickjacking.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Flask, Request, current_app, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from qhost.doorway.auth import load_secret
from qhost.doorway.keys import key_matches
from qhost.errors import QhostError
from qhost.server.console.logins import ConsoleLogins

if TYPE_CHECKING:
    from flask import Response

    from qhost.config import Settings
    from qhost.doorway.keys import KeyRing

__all__ = [
    "CONSOLE_PATH",
    "COOKIE_NAME",
    "ConsoleSessions",
    "CsrfError",
    "Viewer",
    "check_csrf",
    "configure_sessions",
    "csrf_token",
    "login",
    "logout",
    "no_framing",
    "viewer",
]

COOKIE_NAME = "qhost_console"
"""Name of the console's session cookie."""
CONSOLE_PATH = "/console"
"""Where the console lives: the session cookie's path, and the only requests that open a session."""
_SECRET_FILE = "console_secret"
_LOGINS = "qhost_console_logins"


class CsrfError(QhostError):
    """A state-changing console request without the session's CSRF token."""

    status = 403
    code = "csrf_failed"


@dataclass(frozen=True)
class Viewer:
    """The person behind a request. ``scope`` is the engine's owner filter (None: every job)."""

    owner: str
    admin: bool
    signed_in: bool

    @property
    def scope(self) -> str | None:
        return None if self.admin else self.owner


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened for the console's pages only.

    Every other request (the REST doors' hot paths) gets Flask's null session: no cookie parsing, no
    signing serializer, nothing saved. The cookie's path is ``/console`` anyway, so no other request
    carries it.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(CONSOLE_PATH):
            return None  # Flask then uses make_null_session(): empty, and never saved
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """``Secure`` when this request came over HTTPS (waitress sets the scheme from a trusted proxy)."""
        return bool(request.is_secure) or super().get_cookie_secure(app)


def configure_sessions(app: Flask, settings: Settings, logins: ConsoleLogins, keys: KeyRing) -> None:
    """Give ``app`` a session secret (settings, else one kept in the data dir) and the cookie settings."""
    app.session_interface = ConsoleSessions()
    if not app.secret_key:
        secret = settings.console_secret
        app.secret_key = secret.encode() if secret else load_secret(settings.data_dir, _SECRET_FILE)
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_PATH=CONSOLE_PATH,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.console_session_hours),
    )
    app.extensions[_LOGINS] = logins
    logins.prune(keys.owners | keys.admin_owners)  # sign-ins of keys no longer configured end


def no_framing(response: Response) -> Response:
    """Console answers may not be shown in a frame of another page (clickjacking)."""
    if request.path.startswith(CONSOLE_PATH):
        response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
    return response


def _logins() -> ConsoleLogins:
    return current_app.extensions[_LOGINS]  # type: ignore[no-any-return]


def _settings() -> Settings:
    return current_app.extensions["qhost"].settings  # type: ignore[no-any-return]


def _keys() -> KeyRing:
    return current_app.extensions["qhost"].keys  # type: ignore[no-any-return]


def viewer() -> Viewer | None:
    """The signed-in viewer; None when keys are configured and nobody (valid) is signed in."""
    settings = _settings()
    if not settings.console_auth_enabled:
        return Viewer(owner="", admin=True, signed_in=False)
    owner, admin, login_id = session.get("owner"), session.get("admin"), session.get("login")
    if not isinstance(owner, str) or not isinstance(admin, bool) or not isinstance(login_id, str):
        return None
    keys = _keys()
    known = owner in (keys.admin_owners if admin else keys.owners)  # a key removed since the login
    if not known or not _logins().valid(login_id, owner, admin):  # or logged out, or ended
        session.pop("owner", None)
        session.pop("login", None)
        return None
    return Viewer(owner=owner, admin=admin, signed_in=True)


def login(key: str) -> Viewer:
    """Sign in with an API key or admin key.

    Raises:
        AuthError: the key is none of the configured ones.
    """
    keys = _keys()
    key = key.strip()
    owner = keys.require(
        key, "Unknown API key; use a key the server was started with (--api-key or --admin-key)"
    )
    admin = keys.is_admin(key)
    _end_login()
    session.clear()
    login_id = _logins().start(owner, admin, current_app.permanent_session_lifetime)
    session.update(owner=owner, admin=admin, login=login_id, csrf=secrets.token_urlsafe(24))
    session.permanent = True
    return Viewer(owner, admin, True)


def logout() -> None:
    """End this sign-in server-side (every copy of its cookie), then clear the cookie."""
    _end_login()
    session.clear()


def _end_login() -> None:
    login_id = session.get("login")
    if isinstance(login_id, str):
        _logins().end(login_id)


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
        session.permanent = True  # its cookie, too, ends after console_session_hours
    return token


def check_csrf() -> None:
    """Refuse a state-changing request that does not carry this session's CSRF token.

    Raises:
        CsrfError: missing or wrong token (also when the session cookie is missing or forged).
    """
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    token = session.get("csrf")
    if not isinstance(token, str) or not token or not key_matches(sent, (token,)):
        raise CsrfError("Missing or stale CSRF token: reload the page and try again")
