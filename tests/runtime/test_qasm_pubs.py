"""OpenQASM strings as PUB circuits on the IBM door (IBM's REST guide: ``[["OPENQASM 3.0; …", null, 100]]``).

Sampler and Estimator PUBs with and without parameter values, the executor program's OpenQASM 3 circuits,
the size pre-scan before any parser runs, and IBM's plain-JSON results (``support_qiskit: false``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from qhost_testkit import assert_split

from qhost.errors import CircuitTooLarge, InvalidCircuit
from qhost.protocols.ibm_decode import Limits, decode_params

H = {"IBM-API-Version": "2026-04-15"}
MANILA = "fake_manila@aer"
IDEAL = "ideal@aer"

GUIDE_QASM = """OPENQASM 3;
include "stdgates.inc";
qreg q[2];
creg c[2];
x q[0];
cx q[0], q[1];
c[0] = measure q[0];
c[1] = measure q[1];
"""
"""The circuit of IBM's "Sampler with the REST API" guide (x and cx: already in fake_manila's ISA)."""

RX_QASM = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] theta;
qubit[1] q;
bit[1] c;
rx(theta) q[0];
c[0] = measure q[0];
"""


def post(client: Any, program: str, backend: str, params: dict[str, Any]) -> Any:
    body = {"program_id": program, "backend": backend, "params": params}
    return client.post("/api/v1/jobs", json=body, headers=H)


def finished(client: Any, app: Any, resp: Any) -> str:
    assert resp.status_code == 200, resp.get_json()
    job_id = resp.get_json()["id"]
    record = app.extensions["qhost"].engine.wait(job_id, timeout=120)
    assert record.status.value == "completed", record.error
    return str(client.get(f"/api/v1/jobs/{job_id}/results", headers=H).get_data(as_text=True))


def decoded(text: str) -> Any:
    from qiskit_ibm_runtime import RuntimeDecoder

    return json.loads(text, cls=RuntimeDecoder)


def test_the_rest_guides_sampler_pub_runs_on_a_device(client: Any, app: Any) -> None:
    text = finished(client, app, post(client, "sampler", MANILA, {"pubs": [[GUIDE_QASM, None, 2000]]}))
    counts = decoded(text)[0].data.c.get_counts()
    assert_split(counts, {"11": 1.0}, stray=0.12)  # x then cx: |11>, a few percent of device noise


def test_parameter_values_bind_openqasm3_inputs(client: Any, app: Any) -> None:
    values = [[math.pi / 3], [2 * math.pi / 3]]
    text = finished(client, app, post(client, "sampler", IDEAL, {"pubs": [[RX_QASM, values, 4000]]}))
    data = decoded(text)[0].data.c
    assert data.shape == (2,)
    assert_split(data[0].get_counts(), {"0": 0.75, "1": 0.25})  # sin²(θ/2) at π/3
    assert_split(data[1].get_counts(), {"0": 0.25, "1": 0.75})


def test_parameter_values_follow_the_parameters_sorted_by_name(client: Any, app: Any) -> None:
    qasm = (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float[64] beta;\ninput float[64] alpha;\n'
        "qubit[2] q;\nbit[2] c;\nrx(alpha) q[0];\nrx(beta) q[1];\nc = measure q;\n"
    )
    text = finished(client, app, post(client, "sampler", IDEAL, {"pubs": [[qasm, [math.pi, 0.0], 200]]}))
    assert decoded(text)[0].data.c.get_counts() == {"01": 200}  # alpha = π flips q[0] (clbit 0, rightmost)


def test_estimator_pubs_take_openqasm3_and_plain_observables(client: Any, app: Any) -> None:
    qasm = RX_QASM.replace("bit[1] c;\n", "").replace("c[0] = measure q[0];\n", "")
    values = [[0.0], [math.pi / 2], [math.pi]]
    params = {"pubs": [[qasm, {"Z": 1.0}, values, 0.01]], "options": {"simulator": {"seed_simulator": 5}}}
    evs = decoded(finished(client, app, post(client, "estimator", IDEAL, params)))[0].data.evs
    assert np.allclose(evs, [1.0, 0.0, -1.0], atol=0.06)  # <Z> = cos θ, precision 0.01


def test_plain_results_for_clients_without_qiskit(client: Any, app: Any) -> None:
    params = {"pubs": [[RX_QASM, [[0.0], [math.pi]], 10]], "support_qiskit": False}
    result = json.loads(finished(client, app, post(client, "sampler", IDEAL, params)))
    pub = result["results"][0]["data"]["c"]
    assert pub == {"samples": [["0x0"] * 10, ["0x1"] * 10], "num_bits": 1}
    assert result["metadata"]["simulator"]["backend"] == IDEAL


def test_plain_estimator_results_are_numbers(client: Any, app: Any) -> None:
    qasm = RX_QASM.replace("bit[1] c;\n", "").replace("c[0] = measure q[0];\n", "")
    params = {"pubs": [[qasm, ["Z", "X"], [math.pi]]], "support_qiskit": False}
    data = json.loads(finished(client, app, post(client, "estimator", IDEAL, params)))["results"][0]["data"]
    assert np.allclose(data["evs"], [-1.0, 0.0], atol=0.1) and len(data["stds"]) == 2


def test_a_non_isa_openqasm_circuit_is_refused_at_submit(client: Any) -> None:
    qasm = GUIDE_QASM.replace("x q[0];", "h q[0];")
    resp = post(client, "sampler", MANILA, {"pubs": [[qasm, None, 100]]})
    assert resp.status_code == 400
    assert "not ISA for backend fake_manila@aer" in resp.get_json()["errors"][0]["message"]


def test_wider_than_the_device_is_refused_before_parsing(client: Any) -> None:
    qasm = "OPENQASM 3.0;\nqubit[6] q;\nthis is not OpenQASM at all (((\n"
    resp = post(client, "sampler", MANILA, {"pubs": [[qasm, None, 100]]})
    message = resp.get_json()["errors"][0]["message"]
    assert resp.status_code == CircuitTooLarge.status
    assert "declares 6 qubits; backend fake_manila@aer accepts at most 5 qubits" in message
    assert "(checked before parsing)" in message


def test_the_request_total_counts_openqasm_registers() -> None:
    qasm = "OPENQASM 3.0;\nqubit[40] q;\nbit[40] c;\n"
    with pytest.raises(CircuitTooLarge, match="more than 200 qubits and clbits in all"):
        decode_params({"pubs": [[qasm, None, 1]] * 3}, Limits(max_request_bits=200))


def test_includes_of_other_files_are_refused(client: Any) -> None:
    qasm = 'OPENQASM 3.0;\ninclude "/etc/passwd";\nqubit[1] q;\n'
    resp = post(client, "sampler", IDEAL, {"pubs": [[qasm, None, 100]]})
    assert resp.status_code == 400
    assert "include '/etc/passwd' is not allowed" in resp.get_json()["errors"][0]["message"]


def test_broken_openqasm_names_the_line(client: Any) -> None:
    qasm = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nfrobnicate q[0];\n'
    resp = post(client, "sampler", IDEAL, {"pubs": [[qasm, None, 100]]})
    message = resp.get_json()["errors"][0]["message"]
    assert resp.status_code == 400 and "Invalid OpenQASM 3" in message and "frobnicate" in message


def test_a_qasm_string_outside_a_pub_position_stays_a_string() -> None:
    params = decode_params({"pubs": [[RX_QASM, [0.1], 5]], "options": {"note": GUIDE_QASM}})
    assert params["options"]["note"] == GUIDE_QASM and params["pubs"][0][0].num_parameters == 1


def test_openqasm2_pubs_read_too() -> None:
    qasm = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
    circuit = decode_params({"pubs": [qasm]})["pubs"][0]
    assert [inst.operation.name for inst in circuit.data] == ["h", "cx"]


def test_unparsable_text_in_a_pub_is_an_invalid_circuit() -> None:
    with pytest.raises(InvalidCircuit):
        decode_params({"pubs": [["not a circuit", None, 10]]})


@pytest.fixture
def executor_params() -> dict[str, Any]:
    """Executor params (schema v2.0) whose circuit travels as OpenQASM 3 (``circuits: {"data": [...]}``)."""
    from ibm_quantum_schemas.common import F64CompressedTensorModel

    item = {
        "item_type": "circuit",
        "circuit_arguments": F64CompressedTensorModel.from_numpy(np.zeros((0,))).model_dump(mode="json"),
        "shape": [],
        "chunk_size": "auto",
    }
    program = {"shots": 300, "circuits": {"data": [GUIDE_QASM]}, "items": [item], "meas_level": "classified"}
    return {"schema_version": "v2.0", "quantum_program": program, "options": {}}


def test_the_executor_program_takes_openqasm3_circuits(client: Any, app: Any, executor_params: Any) -> None:
    from ibm_quantum_schemas.executor.version_2_0.models import QuantumProgramResultModel

    text = finished(client, app, post(client, "executor", MANILA, executor_params))
    bits = QuantumProgramResultModel.model_validate_json(text).data[0].results["c"].to_numpy()
    assert bits.shape == (300, 2)
    assert bits.all(axis=1).mean() > 0.85  # |11> on a noisy device


def test_executor_openqasm3_is_prescanned(client: Any, executor_params: Any) -> None:
    executor_params["quantum_program"]["circuits"]["data"] = ["OPENQASM 3.0;\nqubit[9] q;\n((("]
    resp = post(client, "executor", MANILA, executor_params)
    assert resp.status_code == CircuitTooLarge.status
    assert "(checked before parsing)" in resp.get_json()["errors"][0]["message"]
