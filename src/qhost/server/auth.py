"""The IAM stand-ins of the IBM door, in Flask: ``POST /identity/token`` (an API key swapped for a token by
``qhost.doorway.auth.Authenticator``, failed attempts throttled per address), Global Search and Global
Catalog.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from qhost.doorway.auth import Authenticator
from qhost.errors import QhostError
from qhost.protocols.ibm_runtime import INSTANCE_CRN
from qhost.server.errors import log_server_error
from qhost.server.throttle import throttled_login

__all__ = ["iam_bp"]

iam_bp = Blueprint("ibm_iam", __name__)
"""``POST /identity/token`` (IAM) plus IBM Cloud Global Search / Global Catalog stand-ins."""


def _authenticator() -> Authenticator:
    return current_app.extensions["qhost_runtime"].auth


@iam_bp.errorhandler(QhostError)
def _iam_error(exc: QhostError) -> tuple[Response, int]:
    log_server_error(exc)
    return jsonify({"errorCode": exc.code, "errorMessage": exc.message, "context": {}}), exc.status


@iam_bp.post("/identity/token")
def issue_token() -> Response:
    """Swap an API key (form field ``apikey``) for an access token, like IBM Cloud IAM."""
    body = request.get_json(silent=True) if not request.form else None
    apikey = request.form.get("apikey") or (body.get("apikey") if isinstance(body, dict) else None)
    auth = _authenticator()
    with throttled_login(current_app, request.remote_addr):
        answer = auth.issue_token(apikey if isinstance(apikey, str) else None)
    return jsonify(answer)


@iam_bp.post("/global-search/v3/resources/search")
def global_search() -> Response:
    """Global Search: the one instance this server offers (``GLOBAL_SEARCH_URL=<server>/global-search``)."""
    _authenticator().owner_from_header(request.headers.get("Authorization"))
    item = {
        "crn": INSTANCE_CRN,
        "service_plan_unique_id": "qhost-local",
        "name": "qhost",
        "doc": {"extensions": {"qhost": {"backends": "all"}}},
        "tags": [],
    }
    return jsonify({"items": [item], "search_cursor": None, "limit": 100})


@iam_bp.get("/global-catalog/<plan_id>")
def global_catalog(plan_id: str) -> Response:
    """Global Catalog: the plan of that instance (``GLOBAL_CATALOG_URL=<server>/global-catalog``)."""
    return jsonify(
        {
            "id": plan_id,
            "overview_ui": {"en": {"display_name": "Open"}},
            "metadata": {"pricing": {"type": "free"}},
        }
    )
