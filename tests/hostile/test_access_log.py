"""One access-log line per request on every door (door, method, path, status, ms, owner id), never a
key or token; and a user error over Thrift (invalid QASM) is not reported as a 500."""

from __future__ import annotations

import logging
import re
import time

import pytest

from qhost.client.thrift_client import ThriftBackendClient
from qhost.errors import QhostError

from .conftest import BELL_QASM, KEY, Server

LINE = re.compile(r"^(\w+) (\w+) (\S+) (\d+|\?) (\d+\.\d)ms owner=(\S+)$")


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, ...]]:
    out = []
    for record in caplog.records:
        if record.name == "qhost.access":
            match = LINE.match(record.getMessage())
            assert match, record.getMessage()
            out.append(match.groups())
    return out


def test_http_doors_log_one_line_per_request_without_secrets(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="qhost.access"):
        server.post("/jobs", json={"programs": [{"quantumCircuit": BELL_QASM}], "token": KEY})
        server.get("/api/v1/backends", headers=server.ibm_headers())
        server.post("/identity/token", data={"apikey": KEY})
        server.get("/api/v1/jobs", headers={"Authorization": "apikey wrong", "IBM-API-Version": "2026-04-15"})
    lines = _lines(caplog)
    owner = server.backend.app.extensions["qhost"].keys.owner(KEY)
    assert ("qrisp", "POST", "/jobs", "201") == lines[0][:4] and lines[0][5] == owner
    assert ("ibm", "GET", "/api/v1/backends", "200") == lines[1][:4] and lines[1][5] == owner
    assert ("ibm", "POST", "/identity/token", "200") == lines[2][:4]
    assert ("ibm", "GET", "/api/v1/jobs", "401") == lines[3][:4] and lines[3][5] == "-"
    assert KEY not in caplog.text and "wrong" not in caplog.text


def test_thrift_logs_calls_and_a_bad_qasm_is_not_a_500(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    client = ThriftBackendClient("127.0.0.1", server.thrift_port, token=KEY)
    try:
        with caplog.at_level(logging.INFO, logger="qhost.access"):
            client.ping()
            with pytest.raises(QhostError) as info:
                client.run("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n", 10, backend="ideal@aer")
            deadline = time.monotonic() + 5  # the door logs right after it sent the answer
            while len(lines := _lines(caplog)) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        client.close()
    status = getattr(info.value, "status_code", None)
    assert status is not None and 400 <= status < 500, info.value
    assert "foo" in str(info.value), info.value  # the reason reaches the client
    assert ("thrift", "CALL", "ping", "200") == lines[0][:4]
    assert lines[1][:3] == ("thrift", "CALL", "run_qasm") and lines[1][3].startswith("4")
    assert lines[1][5] == server.backend.app.extensions["qhost"].keys.owner(KEY)
    assert KEY not in caplog.text
