"""Browser safety against a real ``qhost serve``: no web page can drive it through the user's browser.

A page the user visits may send "simple" requests (``text/plain`` / form bodies, no preflight) to any
address, and with DNS rebinding it may read answers under a name it controls. Before: a ``text/plain``
``POST /jobs`` was accepted (201, a job ran) and any ``Host`` was answered (200).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the helper module beside this one
from serve_process import BELL, IBM_VERSION, qhost_serve  # noqa: E402

pytestmark = pytest.mark.slow

JOB = json.dumps({"programs": [{"quantumCircuit": BELL}], "shots": 10})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    data_dir = tmp_path_factory.mktemp("browser-safety")
    names = {"QHOST_ALLOWED_HOSTS": "qhost.example.org,.lab.example"}  # (the flag is tested below)
    with qhost_serve(data_dir, env=names) as srv:
        yield srv


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_simple_request_body_is_refused_with_415_and_no_job(served, content_type: str) -> None:  # type: ignore[no-untyped-def]
    before = served.job_count()
    resp = requests.post(f"{served.url}/jobs", data=JOB, headers={"Content-Type": content_type}, timeout=30)
    assert resp.status_code == 415, resp.text
    body = resp.json()
    assert body["error"] == "unsupported_media_type"
    assert "application/json" in body["message"]
    assert served.job_count() == before


def test_ibm_door_refuses_text_plain_in_its_own_dialect(served) -> None:  # type: ignore[no-untyped-def]
    before = served.job_count()
    body = {"program_id": "sampler", "backend": "fake_manila@aer", "params": {"pubs": []}}
    resp = requests.post(
        f"{served.url}/api/v1/jobs",
        data=json.dumps(body),
        headers={**IBM_VERSION, "Content-Type": "text/plain"},
        timeout=30,
    )
    assert resp.status_code == 415, resp.text
    assert resp.json()["errors"][0]["code"] == "unsupported_media_type"
    assert served.job_count() == before


def test_json_still_works(served) -> None:  # type: ignore[no-untyped-def]
    resp = requests.post(
        f"{served.url}/jobs?wait=30", data=JOB, headers={"Content-Type": "application/json"}, timeout=60
    )
    assert resp.status_code in (200, 201), resp.text
    charset = requests.post(
        f"{served.url}/jobs",
        data=JOB,
        headers={"Content-Type": "application/json; charset=utf-8"},
        timeout=30,
    )
    assert charset.status_code == 201, charset.text


def _raw(port: int, host: str | None, path: str = "/version") -> tuple[int, bytes]:
    head = (
        f"GET {path} HTTP/1.1\r\n"
        + (f"Host: {host}\r\n" if host is not None else "")
        + "Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example",
        "attacker.example:8000",
        "localhost.attacker.example",
        "example.org",
        "lab.example.evil",
    ],
)
def test_a_foreign_host_gets_421(served, host: str) -> None:  # type: ignore[no-untyped-def]
    for path in ("/version", "/api/v1/jobs", "/jobs/x", "/console/workloads"):
        status, data = _raw(served.port, host, path)
        assert status == 421, (path, data[:300])


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1", "127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}",
        "192.168.7.7:{port}",
        "qhost.example.org", "qhost.example.org:{port}", "a.lab.example", None,
    ],
)  # fmt: skip
def test_own_addresses_and_configured_names_are_answered(served, host: str | None) -> None:  # type: ignore[no-untyped-def]
    status, data = _raw(served.port, None if host is None else host.format(port=served.port))
    assert status == 200, data[:300]


def test_no_cors_headers_unless_configured(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    origin = {"Origin": "http://evil.example"}
    resp = requests.get(f"{served.url}/version", headers=origin, timeout=30)
    assert not [h for h in resp.headers if h.lower().startswith("access-control-")]
    with qhost_serve(tmp_path, "--cors-origin", "http://tool.example") as srv:
        ok = requests.get(f"{srv.url}/version", headers={"Origin": "http://tool.example"}, timeout=30)
        assert ok.headers.get("Access-Control-Allow-Origin") == "http://tool.example"
        other = requests.get(f"{srv.url}/version", headers=origin, timeout=30)
        assert "Access-Control-Allow-Origin" not in other.headers


def test_allowed_host_flag_and_star(tmp_path: Path) -> None:
    with qhost_serve(tmp_path, "--allowed-host", "sim.lab.example") as srv:
        assert _raw(srv.port, "sim.lab.example:8000")[0] == 200
        assert _raw(srv.port, "other.lab.example")[0] == 421
    with qhost_serve(tmp_path, env={"QHOST_ALLOWED_HOSTS": "*"}) as srv:
        assert _raw(srv.port, "behind-a-proxy.internal")[0] == 200
