"""OpenAPI 3 document of both REST doors at ``/openapi.json``, Swagger UI at ``/docs``, ReDoc at ``/redoc``.

The document is built from the app's URL map on first request, so every route appears; each is described
from :mod:`qhost.server.openapi_ops`. Canonical paths only: Qrisp's trailing-slash twins (``/jobs/``) and
the IBM door's ``/experimental/api/v1`` mirror of ``/api/v1`` are noted, not repeated. Swagger UI and
ReDoc are shipped in ``qhost/server/static`` (see ``VERSIONS.txt``) and work offline.

Example:
    >>> app = create_app()
    >>> register_openapi(app)     # done by create_app when this module is present
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app, jsonify

from qhost.server.openapi_ops import IBM_OPERATIONS, IBM_PREFIXES, OPERATIONS, SCHEMAS, TAGS

if TYPE_CHECKING:
    from flask import Response
    from werkzeug.routing import Rule

__all__ = ["STATIC_URL", "build_openapi", "openapi_bp", "register_openapi"]

STATIC_URL = "/_qhost_static"
"""URL prefix of the shipped Swagger UI / ReDoc assets."""

openapi_bp = Blueprint("openapi", __name__, static_folder="static", static_url_path=STATIC_URL)

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_OWN = {"openapi.spec", "openapi.swagger_ui", "openapi.redoc", "openapi.static", "static"}
_IBM_HEADER = {
    "name": "IBM-API-Version",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "example": "2025-01-01"},
    "description": "API version date the stock client sends",
}

_SWAGGER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qhost API - Swagger UI</title>
<link rel="stylesheet" href="_qhost_static/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="_qhost_static/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true});</script>
</body></html>
"""

_REDOC_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qhost API - ReDoc</title></head>
<body><redoc spec-url="openapi.json"></redoc>
<script src="_qhost_static/redoc/redoc.standalone.js"></script>
</body></html>
"""


def register_openapi(app: Flask) -> None:
    """Serve ``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) on ``app``."""
    app.register_blueprint(openapi_bp)


@openapi_bp.get("/openapi.json")
def spec() -> Response:
    doc = current_app.extensions.get("qhost_openapi")
    if doc is None:
        doc = current_app.extensions["qhost_openapi"] = build_openapi(current_app)
    return jsonify(doc)


@openapi_bp.get("/docs")
def swagger_ui() -> tuple[str, int, dict[str, str]]:
    return _SWAGGER_HTML, 200, {"Content-Type": "text/html; charset=utf-8"}


@openapi_bp.get("/redoc")
def redoc() -> tuple[str, int, dict[str, str]]:
    return _REDOC_HTML, 200, {"Content-Type": "text/html; charset=utf-8"}


def build_openapi(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of ``app``'s routes (documented ones described, others listed)."""
    from qhost.server.context import qhost_version

    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        path = _openapi_path(rule.rule)
        if rule.endpoint in _OWN or _is_duplicate(path) or _is_console_page(rule.endpoint):
            continue
        for method in sorted(set(rule.methods or ()) & set(_METHODS)):
            paths.setdefault(path, {})[method.lower()] = _operation(method, path, rule)
    return {
        "openapi": "3.0.3",
        "info": {"title": "qhost", "version": qhost_version(), "description": _DESCRIPTION},
        "servers": [{"url": "/"}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


_DESCRIPTION = (
    "One job engine behind several front doors. The Qrisp door (tag qrisp) also accepts the paths with a "
    "trailing slash; the IBM Runtime door (tag ibm-runtime) is mounted at /api/v1 and mirrored at "
    "/experimental/api/v1. Authentication is off unless the server has API keys; then send "
    "'Authorization: Bearer <key or IAM token>'. Every error is a JSON object."
)


def _openapi_path(rule: str) -> str:
    """``/jobs/<job_id>`` → ``/jobs/{job_id}`` (converters such as ``<path:x>`` too)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _is_console_page(endpoint: str) -> bool:
    """The console's HTML pages are not API operations (its ``/console/api`` JSON endpoints are)."""
    return endpoint.startswith("console.") and not endpoint.startswith("console.api_")


def _is_duplicate(path: str) -> bool:
    return (path != "/" and path.endswith("/")) or path.startswith("/experimental/")


def _operation(method: str, path: str, rule: Rule) -> dict[str, Any]:
    ibm_path = _ibm_subpath(path)
    if ibm_path is not None:
        spec = dict(IBM_OPERATIONS.get((method, ibm_path), {"summary": rule.endpoint}))
        spec["tags"] = ["ibm-runtime"]
        spec["parameters"] = [_IBM_HEADER, *spec.get("parameters", [])]
    else:
        spec = dict(OPERATIONS.get((method, path), {"summary": rule.endpoint, "tags": ["other"]}))
    spec["operationId"] = f"{method.lower()}_{rule.endpoint.replace('.', '_')}"
    spec["parameters"] = _path_params(rule) + spec.get("parameters", [])
    spec["responses"] = {**spec.get("responses", _default_ok()), "default": _error_response()}
    spec["security"] = [{}, {"bearer": []}]
    return spec


def _ibm_subpath(path: str) -> str | None:
    for prefix in IBM_PREFIXES:
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return None


def _path_params(rule: Rule) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in sorted(rule.arguments)]  # fmt: skip


def _default_ok() -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}


def _error_response() -> dict[str, Any]:
    return {
        "description": "Error (always JSON)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
