"""Browser safety of every HTTP door: the ``Host`` check, JSON-only bodies, and CORS only when configured.

A web page the user visits can make their browser send requests to a server on loopback or the LAN. Two
checks, run before any door sees a request, keep such a page from driving qhost:

- **Host** (421 ``misdirected_request``): DNS rebinding points a name the page controls at 127.0.0.1, so the
  browser treats the server as the page's own origin and lets it read the answers. Such a request carries the
  page's name in ``Host``. Accepted: any IP literal (``127.0.0.1:8000``, ``[::1]:8000``, ``192.168.1.5``: a
  page whose origin *is* that address is already that address's, no rebinding is involved), ``localhost``,
  the bound host name, and the names of ``Settings.allowed_hosts`` (``--allowed-host``,
  ``QHOST_ALLOWED_HOSTS``; ``.example.org`` matches its subdomains; ``*`` turns the check off, for proxies
  that rewrite ``Host``). Any port. A request with no ``Host`` (HTTP/1.0 tools) is accepted: browsers
  always send one.
- **JSON only** (415 ``unsupported_media_type``): a page may POST a ``text/plain``, form or multipart body to
  any address without a CORS preflight (a "simple request"); it cannot send ``Content-Type:
  application/json`` without one, and the preflight fails since no CORS headers are sent. So every POST, PUT,
  PATCH and DELETE of the REST doors that carries a body, or names a content type, must say
  ``application/json`` (or ``…+json``). Exempt: the console (form posts, protected by its CSRF token and a
  SameSite=Lax cookie) and ``POST /identity/token`` (the stock IBM client posts a form there; it only swaps a
  key for a token, and a foreign page cannot read the answer).
- **CORS**: no ``Access-Control-*`` header unless ``Settings.cors_origins`` (``--cors-origin``) names the
  request's ``Origin`` (or is ``*``); then the answer and its preflight allow that origin.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from flask import current_app, request

from qhost.errors import MisdirectedRequest, UnsupportedMediaType

if TYPE_CHECKING:
    from flask import Flask, Response

    from qhost.config import Settings

__all__ = ["FORM_PATHS", "host_allowed", "install_browser_guard", "is_json_type"]

FORM_PATHS = ("/console", "/identity/token")
"""Path prefixes whose POSTs may be forms (see the module docstring)."""

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CORS_HEADERS = "Authorization, Content-Type, IBM-API-Version, Service-CRN, X-Qx-Client-Application"


def install_browser_guard(app: Flask) -> None:
    """Check ``Host`` and content types before every request of ``app``; add CORS headers when configured."""
    app.before_request(_guard)
    app.after_request(_cors)


def host_allowed(host: str | None, settings: Settings) -> bool:
    """Whether a request with this ``Host`` header is one the server answers (see the module docstring)."""
    allowed = settings.allowed_hosts
    if host is None or "*" in allowed:
        return True
    name = _host_name(host)
    if name is None:
        return False
    if _is_ip(name) or name == "localhost" or name == settings.host.strip("[]").lower().rstrip("."):
        return True
    for entry in allowed:
        entry = entry.strip().lower().rstrip(".")
        if name == entry.lstrip(".") or (entry.startswith(".") and name.endswith(entry)):
            return True
    return False


def is_json_type(content_type: str | None) -> bool:
    """``application/json`` or a ``+json`` type, parameters (``; charset=utf-8``) ignored."""
    mimetype = (content_type or "").partition(";")[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _host_name(host: str) -> str | None:
    """The name or address of a ``Host`` header without its port; None when it is malformed."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1 :] if end > 0 else "?"
        if end < 0 or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return host[1:end]
    name, sep, port = host.rpartition(":")
    if not sep:
        name = host
    elif not port.isdigit():
        return None
    return name.rstrip(".") or None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _settings() -> Settings:
    return current_app.extensions["qhost"].settings  # type: ignore[no-any-return]


def _guard() -> None:
    settings = _settings()
    host = request.headers.get("Host")
    if not host_allowed(host, settings):
        raise MisdirectedRequest(
            f"This server does not answer to the host name {_short(host)}: use its address, localhost, or "
            "a name given with --allowed-host (QHOST_ALLOWED_HOSTS)"
        )
    if request.method in _BODY_METHODS and not request.path.startswith(FORM_PATHS):
        _check_json_body()


def _check_json_body() -> None:
    content_type = request.headers.get("Content-Type")
    if is_json_type(content_type):
        return
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if content_type is None and not request.content_length and not chunked:
        return  # no body at all (a cancel, a delete)
    raise UnsupportedMediaType(
        f"This endpoint takes JSON; got Content-Type {_short(content_type or '(none)')}. "
        "Send the body with 'Content-Type: application/json'"
    )


def _short(text: str | None, limit: int = 80) -> str:
    text = text or ""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _cors(response: Response) -> Response:
    origins = _settings().cors_origins
    origin = request.headers.get("Origin")
    if not origins or not origin or not ("*" in origins or origin in origins):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers.add("Vary", "Origin")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response
