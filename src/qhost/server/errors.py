"""App-level JSON error handlers: every path answers errors as JSON, never HTML.

Blueprints render ``QhostError`` in their own dialect first; what reaches these handlers is anything else:
routing errors (404/405), ``413`` from ``MAX_CONTENT_LENGTH``, bad JSON (400) and unexpected exceptions (500).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from qhost.errors import QhostError

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = ["log_server_error", "register_error_handlers"]

log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    """Install the JSON handlers for ``QhostError``, ``HTTPException`` and any other ``Exception``."""
    app.register_error_handler(QhostError, _qhost_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def log_server_error(exc: QhostError) -> None:
    """Log a ``QhostError`` that becomes a 5xx answer, with its traceback (4xx are the client's business)."""
    if exc.status >= 500:
        log.error("%s answered %d %s: %s", _where(), exc.status, exc.code, exc.message, exc_info=exc)


def _where() -> str:
    from flask import has_request_context, request

    return f"{request.method} {request.path}" if has_request_context() else "request"


def _qhost_error(exc: QhostError) -> tuple[Response, int]:
    log_server_error(exc)
    return jsonify(exc.to_dict()), exc.status


def _too_large(exc: RequestEntityTooLarge) -> tuple[Response, int]:
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    message = f"Request body is larger than the limit of {limit} bytes"
    return jsonify({"error": "payload_too_large", "message": message}), 413


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    code = exc.code or 500
    slug = (exc.name or "error").lower().replace(" ", "_")
    return jsonify({"error": slug, "message": exc.description or exc.name}), code


def _unexpected(exc: Exception) -> tuple[Response, int]:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error")
    message = f"Internal server error ({type(exc).__name__}); see the server log"
    return jsonify({"error": "internal_error", "message": message}), 500
