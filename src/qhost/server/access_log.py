"""One access-log line per request, on every door: door, method, path, status, milliseconds, owner id.

Logged at INFO on the ``qhost.access`` logger, e.g.::

    qrisp POST /jobs 201 3.2ms owner=key-5f1c2b0e9a7d4c31
    thrift CALL run_qasm 400 1.1ms owner=-

The owner is the id ``qhost.server.auth.owner_of_key`` derives from the key (a hash prefix), never the
key or a token; the path is logged without its query string. Route it with ordinary logging config.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from flask import g, request

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = ["DOORS", "install_access_log", "log_access"]

log = logging.getLogger("qhost.access")

DOORS = {"qrisp": "qrisp", "ibm_runtime": "ibm", "ibm_iam": "ibm", "openapi": "docs"}
"""Blueprint name → door name in the log (requests outside any blueprint are ``http``)."""


def log_access(door: str, method: str, path: str, status: int | str, ms: float, owner: str | None) -> None:
    log.info("%s %s %s %s %.1fms owner=%s", door, method, path, status, ms, owner or "-")


def install_access_log(app: Flask) -> None:
    """Time every request of ``app`` and log its line when the response leaves."""
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.qhost_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("qhost_started")
    ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    door = DOORS.get(request.blueprint or "", "http")
    log_access(door, request.method, request.path, response.status_code, ms, g.get("owner"))
    return response
