"""A campaign of odd inputs over both HTTP doors: every answer is below 500, and every error is JSON.

Each case is something a hostile or careless client sends: non-finite and 4,300-digit numbers, NUL bytes,
lone surrogates, wrong shapes, huge lists, out-of-range query parameters.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import KEY, Server

Q = {"Authorization": f"Bearer {KEY}"}
BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\n'
JSON = {"Content-Type": "application/json"}


def _sampler(**params: Any) -> dict[str, Any]:
    return {"program_id": "sampler", "backend": "fake_manila@aer", "params": {"version": 2, **params}}


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/jobs", {"data": b'{"programs":[{"quantumCircuit":"x"}],"shots":1e400}'}),
    ("POST", "/jobs", {"data": b'{"programs":[{"quantumCircuit":"x"}],"shots":NaN}'}),
    ("POST", "/jobs", {"data": b'{"programs":[{"quantumCircuit":"x"}],"shots":-Infinity}'}),
    ("POST", "/jobs", {"data": b'{"programs":[{"quantumCircuit":"x"}],"shots":1' + b"0" * 5000 + b"}"}),
    ("POST", "/jobs", {"json": {"programs": [{"quantumCircuit": BELL}], "deviceName": "\x00"}}),
    ("POST", "/jobs", {"json": {"programs": [{"quantumCircuit": BELL}], "deviceName": "a" * 100_000}}),
    ("POST", "/jobs", {"data": b'{"programs":[{"quantumCircuit":"\\ud800"}]}'}),
    ("POST", "/jobs", {"data": b"\xff\xfe{}"}),
    ("POST", "/jobs?wait=nan", {"json": {"programs": [{"quantumCircuit": BELL}]}}),
    ("POST", "/jobs?wait=1e999", {"json": {"programs": [{"quantumCircuit": BELL}]}}),
    ("GET", "/jobs/" + "a" * 10_000, {}),
    ("POST", "/deployments", {"json": {"programs": [{"quantumCircuit": 1}]}}),
    ("POST", "/deployments", {"json": {"programs": [{}] * 100_000}}),
    ("GET", "/api/v1/jobs?limit=99999999999999999999999", {}),
    ("GET", "/api/v1/jobs?offset=-1", {}),
    ("GET", "/api/v1/jobs?created_after=2024-01-01T00:00:00%2B99:00", {}),
    ("GET", "/api/v1/jobs?backend=%00&tags=%00", {}),
    ("POST", "/api/v1/jobs", {"json": _sampler(pubs=[["x"]])}),
    (
        "POST",
        "/api/v1/jobs",
        {"json": _sampler(pubs=[[{"__type__": "QuantumCircuit", "__value__": "AAAA"}]])},
    ),
    (
        "POST",
        "/api/v1/jobs",
        {"json": _sampler(pubs=[[{"__type__": "ndarray", "__value__": [[1] * 3] * 3}]])},
    ),
    ("POST", "/api/v1/jobs", {"json": _sampler(pubs=[[]], options={"default_shots": 10**30})}),
    ("POST", "/api/v1/jobs", {"json": {**_sampler(pubs=[[]]), "tags": ["x"] * 100_000}}),
    ("POST", "/api/v1/jobs", {"json": {**_sampler(pubs=[[]]), "session_id": "\x00" * 10}}),
    ("PUT", "/api/v1/jobs/x/tags", {"json": {"tags": ["a" * 1_000_000]}}),
    ("PATCH", "/api/v1/sessions/x", {"json": []}),
    ("POST", "/api/v1/sessions", {"data": b'{"backend":"fake_manila@aer","mode":"batch","max_ttl":1e999}'}),
    ("POST", "/api/v1/sessions", {"json": {"backend": ["x"], "mode": {"a": 1}}}),
    ("POST", "/identity/token", {"data": b"apikey=%ff%fe"}),
    ("POST", "/identity/token", {"data": b'{"apikey": 5}', "headers": JSON}),
    ("GET", "/api/v1/backends/%00/configuration", {}),
    ("GET", "/api/v1/backends/" + "x" * 5000 + "/status", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), CASES, ids=[f"{m} {p[:40]}" for m, p, _ in CASES])
def test_no_server_error_and_json_errors(
    server: Server, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    kwargs = dict(kwargs)  # the case table is shared between runs: never change it
    headers = {**server.ibm_headers(), **Q} if path.startswith("/api/") else dict(Q)
    headers.update(kwargs.pop("headers", {}))
    if "data" in kwargs and "Content-Type" not in headers:
        headers.update(JSON)
    if path.startswith("/api/"):
        headers["Authorization"] = f"apikey {KEY}"
    resp = server.http.request(method, server.url + path, headers=headers, timeout=30, **kwargs)
    assert resp.status_code < 500, resp.text[:300]
    if resp.status_code >= 400:
        assert resp.headers["Content-Type"].startswith("application/json"), resp.text[:200]
        resp.json()
