"""The access-log line (``qhost.doorway.log``) of every request of a Flask app, named by its blueprint's
door."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from flask import g, request

from qhost.doorway.log import log_access

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = ["DOORS", "install_access_log"]

DOORS = {"qrisp": "qrisp", "ibm_runtime": "ibm", "ibm_iam": "ibm", "openapi": "docs"}
"""Blueprint name → door name in the log (requests outside any blueprint are ``http``)."""


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
