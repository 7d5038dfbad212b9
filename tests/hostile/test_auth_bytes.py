"""Non-ASCII API keys and tokens are a 401 on every door (they used to crash ``hmac.compare_digest``)."""

from __future__ import annotations

import pytest

from qhost.client.thrift_client import ThriftBackendClient
from qhost.errors import QhostError

from .conftest import BELL_QASM, KEY, Server

HOSTILE = ["ключ", "clé", "\U0001f511", "\udcff"]


@pytest.mark.parametrize("token", HOSTILE[:3])
def test_qrisp_job_token_non_ascii_is_401(server: Server, token: str) -> None:
    body = {"programs": [{"quantumCircuit": BELL_QASM}], "shots": 10, "token": token}
    resp = server.post("/jobs", json=body)
    assert resp.status_code == 401, resp.text


@pytest.mark.parametrize("header", ["Bearer clé", "apikey clé", "Bearer ключ"])
def test_authorization_header_non_ascii_is_401_on_both_http_doors(server: Server, header: str) -> None:
    raw = header.encode("utf-8")  # sent as raw UTF-8 bytes, as a hostile client would
    for path in ("/jobs/nope", "/api/v1/jobs"):
        resp = server.get(path, headers={"Authorization": raw, "IBM-API-Version": "2026-04-15"})
        assert resp.status_code == 401, (path, resp.text)


@pytest.mark.parametrize("apikey", ["ключ", "clé"])
def test_iam_apikey_non_ascii_is_401(server: Server, apikey: str) -> None:
    assert server.post("/identity/token", data={"apikey": apikey}).status_code == 401
    assert server.post("/identity/token", json={"apikey": apikey}).status_code == 401


def test_iam_body_of_wrong_shape_is_401_not_500(server: Server) -> None:
    assert server.post("/identity/token", json=["apikey", KEY]).status_code == 401


def test_thrift_status_with_non_ascii_token_is_auth_error(server: Server) -> None:
    client = ThriftBackendClient("127.0.0.1", server.thrift_port, token="ключ")
    try:
        with pytest.raises(QhostError) as info:
            client.status("some-job")
        assert getattr(info.value, "status_code", None) == 401, info.value
    finally:
        client.close()
