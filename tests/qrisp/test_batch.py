"""Batches on the Qrisp door: N programs are one job of N circuits (one row, one progress over N, one cancel),
on a real engine and real SQLite; the one-program wire Qrisp 0.4 – 0.8.2 uses is unchanged."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from qhost_testkit import assert_split, bell_split

from qhost.jobs.status import JobStatus
from qhost.protocols import qrisp as proto

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
)
X_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n'


def _marked(index: int) -> str:
    return f"// circuit {index}\n{X_QASM}"


def _echo(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    """Counts naming the circuit: ``{"<index in binary>": shots}`` (order and per-circuit shots show)."""
    found = re.search(r"// circuit (\d+)", qasm)
    return {format(int(found.group(1)) if found else 0, "b"): shots or 7}


class _Gates:
    """A run_func that waits, per circuit, until the test opens that circuit's gate (no sleeps)."""

    def __init__(self, count: int) -> None:
        self.gates = [threading.Event() for _ in range(count)]
        self.started: list[int] = []

    def __call__(self, qasm: str, shots: int | None, token: str) -> dict[str, int]:
        index = int(re.search(r"// circuit (\d+)", qasm).group(1))  # type: ignore[union-attr]
        self.started.append(index)
        assert self.gates[index].wait(30), f"gate {index} never opened"
        return {format(index, "b"): shots or 1}

    def release(self) -> None:
        for gate in self.gates:
            gate.set()


@pytest.fixture
def gates() -> Iterator[_Gates]:
    held = _Gates(3)
    yield held
    held.release()


def _until(check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)  # polling an observable state, with a deadline
    raise AssertionError("condition not reached")


def _jobs(client: FlaskClient) -> int:
    return int(client.application.extensions["qhost"].engine.store.count(list(JobStatus)))


def _final(client: FlaskClient, job_id: str) -> tuple[int, dict[str, Any]]:
    answer = client.get(f"/jobs/{job_id}/?wait=20")
    return answer.status_code, answer.json


def test_a_deployment_of_three_programs_is_one_job_with_three_results(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(_echo).test_client()
    programs = [{"quantumCircuit": _marked(i)} for i in range(3)]
    deployment = client.post("/deployments", json={"programs": programs, "name": ""}).json
    before = _jobs(client)
    job = client.post("/jobs", json={"deploymentId": deployment["id"], "shots": 5, "token": ""})
    assert job.status_code == 201, job.json
    status, doc = _final(client, job.json["id"])
    assert (status, doc["state"], doc["qhostCircuits"]) == (201, "finished", 3)
    assert [r["results"] for r in doc["results"]] == [{"0": 5}, {"1": 5}, {"10": 5}]
    assert [r["id"] for r in doc["results"]] == [0, 1, 2]
    assert _jobs(client) == before + 1  # one row in the store (and the console), not three
    assert doc["qhostProgress"]["done"] == doc["qhostProgress"]["total"] == 3


def test_inline_programs_take_per_circuit_shots(make_app: Callable[..., Flask]) -> None:
    client = make_app(_echo).test_client()
    body = {"programs": [{"quantumCircuit": _marked(i)} for i in range(3)], "shots": [3, None, 9]}
    job = client.post("/jobs?wait=20", json=body)
    assert job.status_code == 201, job.json
    assert [r["results"] for r in job.json["results"]] == [{"0": 3}, {"1": 7}, {"10": 9}]


def test_a_batch_on_a_simulator_gives_each_circuit_its_distribution(make_app: Callable[..., Flask]) -> None:
    client = make_app(None).test_client()
    body = {"programs": [{"quantumCircuit": q} for q in (BELL, X_QASM)], "shots": [4000, 50]}
    job = client.post("/jobs?wait=60", json={**body, "deviceName": "ideal@aer"})
    assert job.status_code == 201 and job.json["state"] == "finished", job.json
    first, second = (r["results"] for r in job.json["results"])
    assert_split(first, bell_split(), shots=4000)
    assert second == {"1": 50}


def test_one_program_keeps_the_wire_of_qrisp_082(make_app: Callable[..., Flask]) -> None:
    client = make_app(_echo).test_client()
    job = client.post("/jobs?wait=20", json={"programs": [{"quantumCircuit": _marked(1)}], "shots": 4})
    record = client.application.extensions["qhost"].engine.store.get(job.json["id"])
    assert "circuits" not in record.spec.meta and record.result == '{"1": 4}'  # not a batch result
    assert (job.json["results"], job.json["qhostCircuits"]) == (
        [{"id": 0, "results": {"1": 4}, "resultType": "COUNTS", "metaData": {}}],
        1,
    )


def test_shots_list_of_another_length_is_refused(make_app: Callable[..., Flask]) -> None:
    client = make_app(_echo).test_client()
    body = {"programs": [{"quantumCircuit": X_QASM}] * 2, "shots": [1, 2, 3]}
    answer = client.post("/jobs", json=body)
    assert answer.status_code == 400 and "'shots' has 3 entries for 2 programs" in answer.json["message"]


def test_more_programs_than_the_limit_are_refused(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proto, "MAX_CIRCUITS", 2)
    client = make_app(_echo).test_client()
    answer = client.post("/deployments", json={"programs": [{"quantumCircuit": X_QASM}] * 3})
    assert answer.status_code == 400 and "3 programs in one job; the limit is 2" in answer.json["message"]


def test_a_circuit_too_wide_in_a_batch_refuses_the_batch(make_app: Callable[..., Flask]) -> None:
    client = make_app(None).test_client()
    wide = X_QASM.replace("qreg q[1]", "qreg q[9]")
    body = {"programs": [{"quantumCircuit": q} for q in (X_QASM, wide)], "deviceName": "fake_manila"}
    before = _jobs(client)
    answer = client.post("/jobs", json=body)
    assert answer.status_code == 400 and "fake_manila" in answer.json["message"]
    assert _jobs(client) == before


def test_progress_rises_over_the_circuits_of_a_batch(make_app: Callable[..., Flask], gates: _Gates) -> None:
    client = make_app(gates).test_client()
    body = {"programs": [{"quantumCircuit": _marked(i)} for i in range(3)], "shots": 2}
    job_id = client.post("/jobs", json=body).json["id"]
    _until(lambda: gates.started == [0])
    doc = client.get(f"/jobs/{job_id}/").json
    assert (doc["qhostProgress"]["done"], doc["qhostProgress"]["total"]) == (0, 3)
    gates.gates[0].set()
    seen = _until(
        lambda: (p := client.get(f"/jobs/{job_id}/").json["qhostProgress"]) and p["done"] == 1 and p
    )
    assert (seen["total"], seen["unit"], seen["percent"], doc["progress"]) == (3, "circuits", 33.3, 0)
    assert client.get(f"/jobs/{job_id}/").json["progress"] == 33  # Qunicorn's integer percent
    gates.release()
    status, final = _final(client, job_id)
    assert (status, final["qhostProgress"]["done"], final["progress"]) == (201, 3, 100)


def test_cancel_stops_every_remaining_circuit_of_the_batch(
    make_app: Callable[..., Flask], gates: _Gates
) -> None:
    client = make_app(gates).test_client()
    body = {"programs": [{"quantumCircuit": _marked(i)} for i in range(3)], "shots": 2}
    job_id = client.post("/jobs", json=body).json["id"]
    _until(lambda: gates.started == [0])
    cancelled = client.post(f"/jobs/{job_id}/cancel")
    assert (cancelled.status_code, cancelled.json["state"]) == (200, "cancelled")
    gates.gates[0].set()  # circuit 0 returns; the batch must not go on to circuits 1 and 2
    engine = client.application.extensions["qhost"].engine
    _until(lambda: job_id not in engine._inflight)
    assert gates.started == [0]
    status, doc = _final(client, job_id)
    assert (status, doc["state"]) == (200, "cancelled")


def test_metadata_of_a_noisy_device_comes_from_its_calibration(make_app: Callable[..., Flask]) -> None:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    client = make_app(None).test_client()
    doc = client.get("/qrisp/backend?deviceName=fake_manila").json
    target = FakeManilaV2().target
    assert (doc["name"], doc["num_qubits"], doc["max_circuits"]) == ("fake_manila@aer", 5, proto.MAX_CIRCUITS)
    assert sorted(map(tuple, doc["connectivity"])) == sorted(target.build_coupling_map().get_edges())
    assert {"cx", "sx", "rz", "measure"} <= set(doc["gate_set"]) and doc["gate_set"] == sorted(
        doc["gate_set"]
    )
    rates = doc["error_rates"]
    assert rates["gates"]["cx"]["1,2"] == pytest.approx(target["cx"][(1, 2)].error)
    assert rates["gates"]["sx"]["4"] == pytest.approx(target["sx"][(4,)].error)
    assert set(rates["readout"]) == {"0", "1", "2", "3", "4"}
    assert rates["calibration"]["device"] == "fake_manila" and rates["calibration"]["last_update_date"]
    assert (doc["health"]["online"], doc["queue"], doc["info"]["noise"]) == (True, {"jobs": 0}, True)


def test_metadata_of_the_ideal_device_has_no_coupling_nor_errors(make_app: Callable[..., Flask]) -> None:
    doc = make_app(None).test_client().get("/qrisp/backend?deviceName=ideal@aer").json
    assert (doc["connectivity"], doc["error_rates"], doc["info"]["noise"]) == (None, None, False)
    assert doc["num_qubits"] > 20 and "cx" in doc["gate_set"]


def test_metadata_of_an_unknown_device_names_the_choices(make_app: Callable[..., Flask]) -> None:
    answer = make_app(None).test_client().get("/qrisp/backend?deviceName=fake_nowhere")
    assert answer.status_code in (400, 404) and "fake_nowhere" in answer.json["message"]


def test_metadata_queue_counts_the_running_batch(make_app: Callable[..., Flask], gates: _Gates) -> None:
    client = make_app(gates).test_client()
    client.post("/jobs", json={"programs": [{"quantumCircuit": _marked(i)} for i in range(3)]})
    _until(lambda: gates.started == [0])
    doc = client.get("/qrisp/backend").json
    assert (doc["name"], doc["queue"], doc["num_qubits"]) == ("run_func", {"jobs": 1}, None)


def test_metadata_needs_a_key_when_keys_are_on(make_app: Callable[..., Flask]) -> None:
    client = make_app(None, api_keys=("k1",)).test_client()
    assert client.get("/qrisp/backend").status_code == 401
    ok = client.get("/qrisp/backend", headers={"Authorization": "Bearer k1"})
    assert ok.status_code == 200 and ok.json["info"]["server"] == "qhost"


def test_a_counts_batch_runs_groups_in_one_simulator_call_with_each_circuits_distribution() -> None:
    import json
    import math

    from qhost.programs import counts

    def ry(theta: float) -> str:
        return X_QASM.replace("x q[0];", f"ry({theta}) q[0];")

    thetas = [0.1 * i for i in range(30)]
    texts = [ry(t) if i % 3 else X_QASM for i, t in enumerate(thetas)]  # Clifford and not, mixed
    shots = [3000] * 28 + [5, 7]
    out = json.loads(counts.run("ideal@aer", json.dumps({"qasm": texts, "shots": shots, "seed": None})))
    assert len(out["batch"]) == 30
    for i, entry in enumerate(out["batch"]):
        assert sum(entry["counts"].values()) == shots[i] and entry["metadata"]["shots"] == shots[i]
        if i % 3 == 0:
            assert entry["counts"] == {"1": shots[i]} and entry["metadata"]["method"] == "stabilizer"
        elif shots[i] == 3000:
            p1 = math.sin(thetas[i] / 2) ** 2
            assert_split(entry["counts"], {"0": 1 - p1, "1": p1} if p1 > 0 else {"0": 1.0})


def test_a_seeded_counts_batch_repeats_itself_and_differs_per_circuit() -> None:
    import json

    from qhost.programs import counts

    body = json.dumps({"qasm": [BELL] * 4, "shots": [200] * 4, "seed": 11})
    first, again = (json.loads(counts.run("ideal@aer", body))["batch"] for _ in range(2))
    assert [e["counts"] for e in first] == [e["counts"] for e in again]
    assert len({json.dumps(e["counts"], sort_keys=True) for e in first}) > 1  # seed + i per circuit


def test_the_console_shows_a_batch_as_one_job_with_each_circuits_histogram(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(_echo).test_client()
    body = {"programs": [{"quantumCircuit": _marked(i)} for i in range(3)], "shots": [3, 4, 5]}
    job_id = client.post("/jobs?wait=20", json=body).json["id"]
    page = client.get(f"/console/jobs/{job_id}").text
    assert all(f"circuit {i}: counts" in page for i in range(3))
    listing = client.get("/console/api/jobs").json
    rows = listing["jobs"] if isinstance(listing, dict) else listing
    assert [row["id"] for row in rows].count(job_id) == 1
