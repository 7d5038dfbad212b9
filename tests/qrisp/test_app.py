"""The Qrisp door over Flask's test client, on a real engine (thread workers) and real SQLite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient


def test_status_page_names_the_server(client: FlaskClient) -> None:
    doc = client.get("/").json
    assert (doc["name"], doc["doors"]["qrisp"], doc["queue_length"]) == ("qhost", True, 0)
    # counted without building a device, and equal to the catalog's listing
    assert doc["backends"] == len(client.application.extensions["qhost"].catalog.entries())


def test_deployment_ids_are_unguessable(client: FlaskClient, bell_qasm: str) -> None:
    answers = [
        client.post("/deployments", json={"programs": [{"quantumCircuit": bell_qasm}]}) for _ in range(2)
    ]
    ids = [a.json["id"] for a in answers]
    assert [a.status_code for a in answers] == [201, 201]
    assert len(set(ids)) == 2 and all(len(i) >= 16 for i in ids)


def test_job_finishes_with_counts_without_spaces(client: FlaskClient, run_job: Callable[..., Any]) -> None:
    status, doc = run_job(client)
    assert (status, doc["state"], doc["results"][0]["results"]) == (201, "finished", {"00": 50, "11": 50})


def test_get_without_trailing_slash_answers_201(client: FlaskClient, bell_qasm: str) -> None:
    job = client.post("/jobs?wait=20", json={"programs": [{"quantumCircuit": bell_qasm}], "shots": 10}).json
    assert client.get(f"/jobs/{job['id']}").status_code == 201


def test_post_with_wait_returns_the_final_document(client: FlaskClient, bell_qasm: str) -> None:
    answer = client.post("/jobs?wait=20", json={"programs": [{"quantumCircuit": bell_qasm}], "shots": 10})
    assert (answer.status_code, answer.json["state"]) == (201, "finished")


def test_failed_job_answers_non_201_with_the_reason(
    make_app: Callable[..., Flask], failing_run_func: Any, run_job: Callable[..., Any]
) -> None:
    status, doc = run_job(make_app(failing_run_func).test_client())
    assert status == 200 and doc["state"] == "failed"
    assert "RuntimeError: detector on fire" in doc["message"]


def test_token_reaches_run_func_without_auth(
    make_app: Callable[..., Flask], token_echo_run_func: Any, run_job: Callable[..., Any]
) -> None:
    _, doc = run_job(make_app(token_echo_run_func).test_client(), {"token": "abc"})
    assert doc["results"][0]["results"] == {"abc": 1}


def test_unknown_deployment_is_404_json(client: FlaskClient) -> None:
    answer = client.post("/jobs", json={"deploymentId": "nope", "shots": 1, "token": ""})
    assert (answer.status_code, answer.json["error"]) == (404, "deployment_not_found")


def test_unknown_job_is_404_json(client: FlaskClient) -> None:
    answer = client.get("/jobs/does-not-exist/")
    assert answer.status_code == 404 and "does-not-exist" in answer.json["message"]


def test_job_and_deployment_survive_a_restart(
    make_app: Callable[..., Flask], fixed_run_func: Any, run_job: Callable[..., Any], bell_qasm: str
) -> None:
    first = make_app(fixed_run_func)
    _, doc = run_job(first.test_client())
    deployment = (
        first.test_client().post("/deployments", json={"programs": [{"quantumCircuit": bell_qasm}]}).json
    )
    first.extensions["qhost"].close()
    again = make_app(fixed_run_func).test_client()
    assert again.get(f"/jobs/{doc['id']}/").json["results"][0]["results"] == {"00": 50, "11": 50}
    job = again.post("/jobs?wait=20", json={"deploymentId": deployment["id"], "shots": 4, "token": ""})
    assert job.json["state"] == "finished"


def test_cancel_of_a_finished_job_is_409(client: FlaskClient, run_job: Callable[..., Any]) -> None:
    _, doc = run_job(client)
    answer = client.post(f"/jobs/{doc['id']}/cancel")
    assert (answer.status_code, answer.json["error"]) == (409, "invalid_job_transition")


def test_auth_refuses_a_missing_token(make_app: Callable[..., Flask], bell_qasm: str) -> None:
    client = make_app(None, api_keys=("k1",)).test_client()
    answer = client.post("/jobs", json={"programs": [{"quantumCircuit": bell_qasm}], "shots": 1})
    assert (answer.status_code, answer.json["error"]) == (401, "unauthorized")


def test_auth_refuses_an_unknown_token(make_app: Callable[..., Flask], bell_qasm: str) -> None:
    client = make_app(None, api_keys=("k1",)).test_client()
    answer = client.post(
        "/jobs", json={"programs": [{"quantumCircuit": bell_qasm}], "shots": 1, "token": "x"}
    )
    assert answer.status_code == 401 and "API key" in answer.json["message"]


def test_auth_job_is_owned_by_the_key(
    make_app: Callable[..., Flask], fixed_run_func: Any, run_job: Callable[..., Any]
) -> None:
    app = make_app(fixed_run_func, api_keys=("k1", "k2"))
    status, doc = run_job(app.test_client(), {"token": "k1"})
    assert status == 201
    ctx = app.extensions["qhost"]
    assert ctx.engine.get(doc["id"]).owner == ctx.keys.owner("k1")


def test_auth_other_owner_gets_404(
    make_app: Callable[..., Flask], fixed_run_func: Any, run_job: Callable[..., Any]
) -> None:
    client = make_app(fixed_run_func, api_keys=("k1", "k2")).test_client()
    _, doc = run_job(client, {"token": "k1"})
    assert client.get(f"/jobs/{doc['id']}/", json={"token": "k2"}).status_code == 404


def test_auth_accepts_a_bearer_header(
    make_app: Callable[..., Flask], fixed_run_func: Any, run_job: Callable[..., Any]
) -> None:
    client = make_app(fixed_run_func, api_keys=("k1",)).test_client()
    status, _ = run_job(client, headers={"Authorization": "Bearer k1"})
    assert status == 201


def test_auth_keeps_the_key_out_of_run_func(
    make_app: Callable[..., Flask], token_echo_run_func: Any, run_job: Callable[..., Any]
) -> None:
    _, doc = run_job(make_app(token_echo_run_func, api_keys=("k1",)).test_client(), {"token": "k1"})
    assert doc["results"][0]["results"] == {"empty": 1}


def test_version_route_identifies_the_server(client: FlaskClient) -> None:
    assert client.get("/version").json["name"] == "qhost"
