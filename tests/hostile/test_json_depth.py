"""Deeply nested JSON (100,000 ``[``) is a 400 JSON error on every door that parses JSON, never a 500."""

from __future__ import annotations

import pytest

from .conftest import KEY, Server

MAX_JSON_DEPTH = 100  # qhost.protocols.json_input.MAX_JSON_DEPTH (not imported: runs against old code too)

DEEP = b"[" * 100_000 + b"]" * 100_000


def _assert_depth_400(resp) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == 400, resp.text
    assert "nested" in resp.text and str(MAX_JSON_DEPTH) in resp.text
    resp.json()  # a JSON error body, not HTML


@pytest.mark.parametrize("path", ["/jobs", "/deployments", "/api/v1/jobs", "/api/v1/sessions"])
def test_deep_json_post_is_400(server: Server, path: str) -> None:
    headers = {"Content-Type": "application/json", **server.ibm_headers()}
    _assert_depth_400(server.post(path, data=DEEP, headers=headers))


def test_deep_json_body_on_qrisp_get_is_400(server: Server) -> None:
    resp = server.http.request(
        "GET", server.url + "/jobs/nope", data=DEEP, headers={"Content-Type": "application/json"}, timeout=30
    )
    _assert_depth_400(resp)


def test_deep_json_identity_token_is_400(server: Server) -> None:
    resp = server.post("/identity/token", data=DEEP, headers={"Content-Type": "application/json"})
    _assert_depth_400(resp)


def test_deep_objects_too(server: Server) -> None:
    body = b'{"a":' * 5000 + b"1" + b"}" * 5000
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}  # else 415 first
    _assert_depth_400(server.post("/jobs", data=body, headers=headers))
