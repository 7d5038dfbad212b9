"""Bad input: each a clear JSON error, nothing lost, and the server still runs a good job afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qhost.client.qiskit_backend import QiskitBackend


@pytest.fixture
def aer_client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A door whose run_func is QiskitBackend(AerSimulator()): it parses and simulates for real."""
    return make_app(QiskitBackend()).test_client()


def _assert_still_serves(client: FlaskClient, run_job: Callable[..., Any]) -> None:
    status, doc = run_job(client)
    assert (status, doc["state"]) == (201, "finished")


def test_non_json_body_is_400_json(client: FlaskClient, run_job: Callable[..., Any]) -> None:
    answer = client.post("/deployments", data=b"<html>", content_type="application/json")
    assert (answer.status_code, answer.json["error"]) == (400, "invalid_input")
    answer = client.post("/deployments", data=b"<html>", content_type="text/html")  # not even said to be JSON
    assert (answer.status_code, answer.json["error"]) == (415, "unsupported_media_type")
    _assert_still_serves(client, run_job)


def test_body_over_the_limit_is_413_json(client: FlaskClient, run_job: Callable[..., Any]) -> None:
    answer = client.post("/deployments", json={"programs": [{"quantumCircuit": "x" * 100_000}]})
    assert answer.status_code == 413 and "65536 bytes" in answer.json["message"]
    _assert_still_serves(client, run_job)


@pytest.mark.parametrize("shots", [0, -5, 10_001])
def test_shots_out_of_range_are_400_json(client: FlaskClient, bell_qasm: str, shots: int) -> None:
    answer = client.post("/jobs", json={"programs": [{"quantumCircuit": bell_qasm}], "shots": shots})
    assert answer.status_code == 400 and "1..10000" in answer.json["message"]


def test_unknown_path_is_404_json(client: FlaskClient) -> None:
    answer = client.get("/no/such/path")
    assert (answer.status_code, answer.json["error"]) == (404, "not_found")


def test_wrong_method_is_405_json(client: FlaskClient) -> None:
    answer = client.delete("/deployments")
    assert (answer.status_code, answer.json["error"]) == (405, "method_not_allowed")


def test_bad_wait_is_400_json(client: FlaskClient) -> None:
    assert client.get("/jobs/x/?wait=soon").status_code == 400


def test_malformed_qasm_fails_the_job_with_the_parse_error(
    aer_client: FlaskClient, run_job: Callable[..., Any]
) -> None:
    status, doc = run_job(aer_client, qasm="OPENQASM 2.0;\nqreg q[1];\nfoo q[0];")
    assert status == 200 and "Cannot parse the OpenQASM program" in doc["message"]
    _assert_still_serves(aer_client, run_job)


def test_run_func_that_raises_fails_only_its_job(
    make_app: Callable[..., Flask], failing_run_func: Any, run_job: Callable[..., Any]
) -> None:
    client = make_app(failing_run_func).test_client()
    status, doc = run_job(client)
    assert status == 200 and "detector on fire" in doc["message"]
    assert client.get("/").status_code == 200


def test_unknown_device_name_is_404_naming_the_list_command(client: FlaskClient, bell_qasm: str) -> None:
    body = {"programs": [{"quantumCircuit": bell_qasm}], "shots": 1, "deviceName": "fake_nowhere@aer"}
    answer = client.post("/jobs", json=body)
    assert (answer.status_code, answer.json["error"]) == (404, "unknown_backend")
    assert "qhost backends" in answer.json["message"]


H = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


@pytest.fixture
def counts_client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A door with no run_func: jobs run program ``counts`` on ``ideal@aer`` (or their ``deviceName``)."""
    return make_app(None).test_client()


def _inline(client: FlaskClient, qasm: str, device: str = "") -> Any:
    return client.post(
        "/jobs?wait=60", json={"programs": [{"quantumCircuit": qasm}], "shots": 100, "deviceName": device}
    )


def test_default_backend_runs_a_bell_pair(counts_client: FlaskClient, bell_qasm: str) -> None:
    answer = _inline(counts_client, bell_qasm)
    assert (answer.status_code, set(answer.json["results"][0]["results"])) == (201, {"00", "11"})


def test_device_name_picks_a_noisy_backend(counts_client: FlaskClient, bell_qasm: str) -> None:
    answer = _inline(counts_client, bell_qasm, "fake_manila")
    assert answer.json["executedOn"]["name"] == "fake_manila@aer"
    assert sum(answer.json["results"][0]["results"].values()) == 100


def test_unparsable_qasm_fails_with_the_parser_message(
    counts_client: FlaskClient, run_job: Callable[..., Any]
) -> None:
    answer = _inline(counts_client, "OPENQASM 2.0;\nfoo;")
    assert answer.status_code == 200 and "'foo' is not defined" in answer.json["message"]
    _assert_still_serves(counts_client, run_job)


def test_gate_the_executor_cannot_run_fails_the_job(
    counts_client: FlaskClient, run_job: Callable[..., Any]
) -> None:
    answer = _inline(
        counts_client, H + "opaque mygate a;\nqreg q[1];\ncreg c[1];\nmygate q[0];\nmeasure q -> c;\n"
    )
    assert answer.status_code == 200 and "Unsupported gate 'mygate'" in answer.json["message"]
    _assert_still_serves(counts_client, run_job)


def test_40_qubits_on_statevector_fail_with_the_memory_needed(
    counts_client: FlaskClient, run_job: Callable[..., Any]
) -> None:
    answer = _inline(counts_client, H + "qreg q[40];\ncreg c[40];\nh q[0];\nt q[1];\nmeasure q -> c;\n")
    assert answer.status_code == 200 and "40 qubits with method statevector" in answer.json["message"]
    _assert_still_serves(counts_client, run_job)
