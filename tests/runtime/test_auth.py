"""API keys, issued tokens and owner isolation on the IBM door."""

from __future__ import annotations

from typing import Any

H = {"IBM-API-Version": "2026-04-15"}
MANILA = "fake_manila@aer"


def token(client: Any, key: str) -> Any:
    return client.post(
        "/identity/token", data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": key}
    )


def bearer(client: Any, key: str) -> dict[str, str]:
    return {**H, "Authorization": "Bearer " + token(client, key).get_json()["access_token"]}


def test_token_is_a_jwt_with_exp_and_iat(keyed_app: Any) -> None:
    import jwt

    body = token(keyed_app.test_client(), "alice-key").get_json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 3600


def test_unknown_key_gets_401_at_identity_token(keyed_app: Any) -> None:
    resp = token(keyed_app.test_client(), "mallory")
    assert resp.status_code == 401 and "Unknown API key" in resp.get_data(True)


def test_unknown_key_gets_401_on_api_calls(keyed_app: Any) -> None:
    resp = keyed_app.test_client().get("/api/v1/backends", headers={**H, "Authorization": "apikey mallory"})
    assert resp.status_code == 401 and resp.get_json()["errors"][0]["code"] == "unauthorized"


def test_forged_token_gets_401(keyed_app: Any) -> None:
    import jwt

    forged = jwt.encode({"sub": "x", "exp": 2**40, "iat": 0}, "wrong-secret-" * 4, algorithm="HS256")
    resp = keyed_app.test_client().get("/api/v1/backends", headers={**H, "Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401


def test_apikey_header_works(keyed_app: Any) -> None:
    resp = keyed_app.test_client().get("/api/v1/backends", headers={**H, "Authorization": "apikey bob-key"})
    assert resp.status_code == 200


def test_another_owners_job_is_not_found(keyed_app: Any, wire: Any) -> None:
    client = keyed_app.test_client()
    body = {"program_id": "sampler", "backend": MANILA, "params": wire.sampler_params(shots=5)}
    job_id = client.post("/api/v1/jobs", json=body, headers=bearer(client, "alice-key")).get_json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=bearer(client, "bob-key")).status_code == 404
    assert client.get("/api/v1/jobs", headers=bearer(client, "bob-key")).get_json()["count"] == 0


def test_another_owners_session_is_not_found(keyed_app: Any) -> None:
    client = keyed_app.test_client()
    body = {"mode": "batch", "backend": MANILA}
    session_id = client.post("/api/v1/sessions", json=body, headers=bearer(client, "alice-key")).get_json()[
        "id"
    ]
    assert client.get(f"/api/v1/sessions/{session_id}", headers=bearer(client, "bob-key")).status_code == 404


def test_token_secret_survives_a_restart(tmp_path: Any) -> None:
    from qhost.doorway.auth import load_secret

    assert load_secret(tmp_path) == load_secret(tmp_path)


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    import time

    import jwt
    import pytest

    from qhost.doorway import auth
    from qhost.doorway.keys import KeyRing
    from qhost.errors import AuthError

    keys = KeyRing(("alice-key",), (), b"k" * 32)
    authenticator = auth.Authenticator(keys, b"s" * 32)
    owner = keys.owner("alice-key")
    exp = int(time.time()) + 1
    claims = {"sub": owner, "iat": exp - 1, "exp": exp}
    header = "Bearer " + jwt.encode(claims, authenticator.secret, algorithm="HS256")
    assert authenticator.owner_from_header(header) == owner
    assert authenticator.owner_from_header(header) == owner  # remembered
    time.sleep(max(0.0, exp - time.time()) + 0.1)
    with pytest.raises(AuthError, match="expired"):
        authenticator.owner_from_header(header)
