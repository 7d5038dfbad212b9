"""IBM door: out-of-range dates, TTLs and API versions are 400s, and nothing is half-written."""

from __future__ import annotations

import pytest

from .conftest import Server

H = "2026-04-15"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("created_after", "0001-01-01T00:00:00+14:00"),
        ("created_before", "9999-12-31T23:59:59-14:00"),
        ("created_after", "0001-01-01T00:00:00+14:00"),
        ("created_before", "not-a-date"),
    ],
)
def test_dates_out_of_range_are_400(server: Server, name: str, value: str) -> None:
    resp = server.get("/api/v1/jobs", params={name: value}, headers=server.ibm_headers())
    assert resp.status_code == 400, resp.text
    assert name in resp.json()["errors"][0]["message"]


def test_extreme_dates_in_range_still_work(server: Server) -> None:
    params = {"created_after": "0001-01-02T00:00:00Z", "created_before": "9999-12-30T00:00:00Z"}
    resp = server.get("/api/v1/jobs", params=params, headers=server.ibm_headers())
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("ttl", [10**12, 2**63, 2**64, -1, 0, 2_592_001, "60", 1.5, True])
def test_session_max_ttl_out_of_range_is_400_and_nothing_stored(server: Server, ttl: object) -> None:
    before = _session_rows(server)
    body = {"backend": "fake_manila@aer", "mode": "batch", "max_ttl": ttl}
    resp = server.post("/api/v1/sessions", json=body, headers=server.ibm_headers())
    assert resp.status_code == 400, resp.text
    assert "max_ttl" in resp.text
    assert _session_rows(server) == before


def test_session_max_ttl_at_the_limit_is_accepted(server: Server) -> None:
    body = {"backend": "fake_manila@aer", "mode": "batch", "max_ttl": 2_592_000}
    resp = server.post("/api/v1/sessions", json=body, headers=server.ibm_headers())
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(
    "version", ["2024-13-45", "2025-02-30", "2024-00-10", "2023-12-31", "2027-01-01", "x"]
)
def test_impossible_or_unsupported_api_version_is_400(server: Server, version: str) -> None:
    headers = {**server.ibm_headers(), "IBM-API-Version": version}
    resp = server.get("/api/v1/backends", headers=headers)
    assert resp.status_code == 400, resp.text
    assert "IBM-API-Version" in resp.text


def test_supported_api_version_is_accepted(server: Server) -> None:
    assert server.get("/api/v1/backends", headers=server.ibm_headers()).status_code == 200


def _session_rows(server: Server) -> int:
    import sqlite3

    with sqlite3.connect(server.data_dir / "qhost.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM ibm_sessions").fetchone()[0])
