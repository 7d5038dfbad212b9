"""Console sign-in: keys, owners, admins, CSRF, forged cookies, non-ASCII keys."""

from __future__ import annotations

from typing import Any

from console_helpers import ADMIN, ALICE, BOB, counts_spec, csrf_of, gated_spec, owner_id, sign_in

from qhost.jobs.status import JobStatus


def _submit(app: Any, key: str) -> Any:
    engine = app.extensions["qhost"].engine
    return engine.wait(engine.submit(counts_spec(owner_id(app, key))).id, timeout=30)


def test_pages_ask_for_a_key_first(keyed_app: Any) -> None:
    client = keyed_app.test_client()
    answer = client.get("/console/workloads?state=completed")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/login?next=/console/workloads")
    assert client.get("/console/api/jobs").status_code == 401


def test_a_wrong_key_is_refused_with_401(keyed_app: Any) -> None:
    answer = sign_in(keyed_app.test_client(), "nope")
    assert answer.status_code == 401 and "Unknown API key" in answer.text


def test_a_non_ascii_key_is_refused_with_401_not_500(keyed_app: Any) -> None:
    answer = sign_in(keyed_app.test_client(), "ключ-🔑")
    assert answer.status_code == 401 and "Unknown API key" in answer.text


def test_each_owner_sees_only_their_own_jobs(keyed_app: Any) -> None:
    mine, theirs = _submit(keyed_app, ALICE), _submit(keyed_app, BOB)
    client = keyed_app.test_client()
    assert sign_in(client, ALICE).status_code == 302
    ids = [j["id"] for j in client.get("/console/api/jobs").get_json()["jobs"]]
    assert ids == [mine.id]
    assert client.get(f"/console/jobs/{mine.id}").status_code == 200
    other = client.get(f"/console/jobs/{theirs.id}")
    assert other.status_code == 404 and f"Job {theirs.id} not found" in other.text
    assert client.get(f"/console/api/jobs/{theirs.id}").get_json()["error"] == "job_not_found"


def test_owner_filter_does_not_widen_a_users_view(keyed_app: Any) -> None:
    _submit(keyed_app, BOB)
    client = keyed_app.test_client()
    sign_in(client, ALICE)
    assert client.get(f"/console/api/jobs?owner={owner_id(keyed_app, BOB)}").get_json()["total"] == 0


def test_another_owners_job_cannot_be_cancelled(keyed_app: Any) -> None:
    engine = keyed_app.extensions["qhost"].engine
    engine.submit(gated_spec(owner_id(keyed_app, BOB)))
    queued = engine.submit(gated_spec(owner_id(keyed_app, BOB)))
    client = keyed_app.test_client()
    sign_in(client, ALICE)
    token = csrf_of(client.get("/console/workloads").text)
    answer = client.post(f"/console/jobs/{queued.id}/cancel", data={"csrf_token": token})
    assert answer.status_code == 404 and engine.get(queued.id).status is JobStatus.QUEUED


def test_admin_sees_every_job_and_cancels_any(keyed_app: Any) -> None:
    engine = keyed_app.extensions["qhost"].engine
    alices = _submit(keyed_app, ALICE)
    engine.submit(gated_spec(owner_id(keyed_app, BOB)))
    queued = engine.submit(gated_spec(owner_id(keyed_app, BOB)))
    client = keyed_app.test_client()
    sign_in(client, ADMIN)
    ids = {j["id"] for j in client.get("/console/api/jobs").get_json()["jobs"]}
    assert {alices.id, queued.id} <= ids
    token = csrf_of(client.get("/console/workloads").text)
    assert client.post(f"/console/jobs/{queued.id}/cancel", data={"csrf_token": token}).status_code == 303
    assert engine.get(queued.id).status is JobStatus.CANCELLED


def test_post_without_the_csrf_token_is_refused(keyed_app: Any) -> None:
    engine = keyed_app.extensions["qhost"].engine
    engine.submit(gated_spec(owner_id(keyed_app, ALICE)))
    queued = engine.submit(gated_spec(owner_id(keyed_app, ALICE)))
    client = keyed_app.test_client()
    sign_in(client, ALICE)
    real = csrf_of(client.get("/console/workloads").text)
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": real[0]}, {"csrf_token": real[:-1]}):
        answer = client.post(f"/console/jobs/{queued.id}/cancel", data=data)
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert engine.get(queued.id).status is JobStatus.QUEUED


def test_header_csrf_token_works_for_scripts(app: Any) -> None:
    engine = app.extensions["qhost"].engine
    engine.submit(gated_spec())
    queued = engine.submit(gated_spec())
    client = app.test_client()
    token = csrf_of(client.get("/console/workloads").text)
    answer = client.post(f"/console/jobs/{queued.id}/cancel", headers={"X-CSRF-Token": token})
    assert answer.status_code == 303 and engine.get(queued.id).status is JobStatus.CANCELLED


def test_the_session_cookie_is_scoped_to_the_console(keyed_app: Any) -> None:
    client = keyed_app.test_client()
    sign_in(client, ALICE)
    cookie = client.get_cookie("qhost_console", path="/console")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_a_forged_cookie_is_ignored(keyed_app: Any) -> None:
    client = keyed_app.test_client()
    client.set_cookie(
        "qhost_console", "eyJhZG1pbiI6dHJ1ZSwib3duZXIiOiJ4In0.forged.signature", path="/console"
    )
    answer = client.get("/console/workloads")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]
    assert client.get("/console/api/jobs").status_code == 401


def test_a_cookie_signed_by_another_server_is_ignored(make_app: Any) -> None:
    first = make_app(api_keys=(ALICE,), console_secret="one")
    second = make_app(api_keys=(ALICE,), console_secret="two")
    client = first.test_client()
    sign_in(client, ALICE)
    cookie = client.get_cookie("qhost_console", path="/console")
    other = second.test_client()
    other.set_cookie("qhost_console", cookie.value, path="/console")
    assert other.get("/console/api/jobs").status_code == 401


def test_login_refuses_a_missing_csrf_token(keyed_app: Any) -> None:
    answer = keyed_app.test_client().post("/console/login", data={"key": ALICE})
    assert answer.status_code == 403


def test_login_never_redirects_off_the_console(keyed_app: Any) -> None:
    client = keyed_app.test_client()
    for target in ("https://evil.example/", "//evil.example/x", "/api/v1/jobs"):
        page = client.get("/console/login")
        answer = client.post(
            "/console/login", data={"key": ALICE, "next": target, "csrf_token": csrf_of(page.text)}
        )
        assert answer.headers["Location"] == "/console/workloads"


def test_sign_out_ends_the_session(keyed_app: Any) -> None:
    client = keyed_app.test_client()
    sign_in(client, ALICE)
    token = csrf_of(client.get("/console/workloads").text)
    client.post("/console/logout", data={"csrf_token": token})
    assert client.get("/console/api/jobs").status_code == 401


def test_the_rest_door_also_answers_401_for_a_non_ascii_key(keyed_app: Any) -> None:
    answer = keyed_app.test_client().post("/identity/token", data={"apikey": "clé-é"})
    assert answer.status_code == 401


def test_only_console_requests_open_a_session(keyed_app: Any) -> None:
    from flask import session

    with keyed_app.test_request_context("/api/v1/instances/usage"):
        assert keyed_app.session_interface.is_null_session(session)
    with keyed_app.test_request_context("/console/workloads"):
        assert not keyed_app.session_interface.is_null_session(session)


def test_the_console_session_survives_rest_requests_in_between(keyed_app: Any) -> None:
    client = keyed_app.test_client()
    assert sign_in(client, ALICE).status_code == 302
    answer = client.get("/version")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert client.get("/console/api/jobs").status_code == 200
