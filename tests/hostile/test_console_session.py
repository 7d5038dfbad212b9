"""Console session hygiene, on a real server: a sign-in ends (12 h, logout, every copy of the cookie), its
cookie is ``Secure`` over HTTPS behind a trusted proxy, and console pages refuse to be framed.

Before: the cookie lived 31 days (Flask's default), logout only cleared the browser's copy (a copied cookie
kept working), there was no ``Secure`` flag and no ``frame-ancestors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests

from qhost.backend_server import BackendServer

KEY = "console-session-key"


def _serve(data_dir: Path, **overrides: object) -> BackendServer:
    overrides.setdefault("api_keys", (KEY,))
    return BackendServer(
        lambda qasm, shots, token: {"0": shots or 1},
        port=0,
        data_dir=data_dir,
        executors=("aer",),
        **overrides,
    ).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    srv = _serve(tmp_path_factory.mktemp("console-session"))
    try:
        yield srv
    finally:
        srv.stop()


def sign_in(url: str, headers: dict[str, str] | None = None) -> tuple[requests.Session, requests.Response]:
    http = requests.Session()
    page = http.get(f"{url}/console/login", headers=headers, timeout=30)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text[:500]
    resp = http.post(
        f"{url}/console/login",
        data={"key": KEY, "csrf_token": csrf.group(1), "next": "/console/workloads"},
        headers=headers,
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code in (302, 303), resp.text[:500]
    return http, resp


def signed_in(url: str, cookie: str) -> bool:
    resp = requests.get(
        f"{url}/console/workloads", cookies={"qhost_console": cookie}, allow_redirects=False, timeout=30
    )
    return resp.status_code == 200


def test_the_cookie_lives_at_most_12_hours(server: BackendServer) -> None:
    _http, resp = sign_in(server.url)
    header = resp.headers["Set-Cookie"]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))  # type: ignore[union-attr]
    assert expires <= datetime.now(UTC) + timedelta(hours=12, minutes=1), header
    assert expires >= datetime.now(UTC) + timedelta(hours=11), header


def test_logout_ends_every_copy_of_the_session(server: BackendServer) -> None:
    http, _resp = sign_in(server.url)
    copy = http.cookies.get("qhost_console", path="/console")
    assert copy and signed_in(server.url, copy)
    page = http.get(f"{server.url}/console/workloads", timeout=30)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text[:500]
    out = http.post(f"{server.url}/console/logout", data={"csrf_token": csrf.group(1)}, timeout=30)
    assert out.ok
    assert not signed_in(server.url, copy)  # the copy taken before logout no longer signs anyone in


def test_a_removed_key_ends_its_sessions_for_good(tmp_path: Path) -> None:
    srv = _serve(tmp_path)
    try:
        http, _resp = sign_in(srv.url)
        copy = http.cookies.get("qhost_console", path="/console")
        assert copy and signed_in(srv.url, copy)
    finally:
        srv.stop()
    without = _serve(tmp_path, api_keys=("another-key",))  # the key was removed
    without.stop()
    again = _serve(tmp_path)  # and given back: the old sign-in must not come back with it
    try:
        assert not signed_in(again.url, copy)
    finally:
        again.stop()


def test_console_pages_cannot_be_framed(server: BackendServer) -> None:
    for path in ("/console/login", "/console/workloads", "/console/nowhere"):
        resp = requests.get(f"{server.url}{path}", allow_redirects=False, timeout=30)
        assert "frame-ancestors 'none'" in resp.headers.get("Content-Security-Policy", ""), path
        assert resp.headers.get("X-Frame-Options") == "DENY", path


def test_secure_cookie_over_https_behind_a_trusted_proxy(tmp_path: Path, server: BackendServer) -> None:
    https = {"X-Forwarded-Proto": "https"}
    _http, plain = sign_in(server.url, headers=https)  # no trusted proxy: the header is dropped
    assert "secure" not in plain.headers["Set-Cookie"].lower()
    proxied = _serve(tmp_path, trusted_proxy="127.0.0.1")
    try:  # (requests then keeps the Secure cookie off plain http, as a browser would: look at the first one)
        resp = requests.get(f"{proxied.url}/console/login", headers=https, timeout=30)
        assert "; secure" in resp.headers["Set-Cookie"].lower()
        plain_again = requests.get(f"{proxied.url}/console/login", timeout=30)
        assert "secure" not in plain_again.headers["Set-Cookie"].lower()
    finally:
        proxied.stop()
