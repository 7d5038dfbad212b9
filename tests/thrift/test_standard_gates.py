"""The Thrift door reads Qiskit's standard gates written as OpenQASM 2 ``gate`` definitions as those gates.

``ecr`` (not in ``qelib1.inc``: ``qasm2.dumps`` writes it as a definition) in both directions on
fake_sherbrooke's one-way ``ecr`` pair, and ``rzx``/``iswap`` reversed: the transpiler flips or translates
them, and the counts match the ideal distribution within the device's noise.
"""

from __future__ import annotations

from typing import Any

import pytest
from qiskit import QuantumCircuit, qasm2
from qiskit.quantum_info import Statevector

from qhost.client.thrift_client import ThriftBackendClient

DEVICE = "fake_sherbrooke"
SHOTS = 2000
TVD_LIMIT = 0.08


def one_way_pair() -> tuple[int, int]:
    """fake_sherbrooke's ``ecr`` pair (a → b only) with the smallest gate and readout errors."""
    from qhost.catalog import default_catalog

    target = default_catalog().device(DEVICE).backend().target
    pairs = {q: props for q, props in target["ecr"].items() if q is not None}
    one_way = [p for p in pairs if (p[1], p[0]) not in pairs]
    return min(
        one_way, key=lambda p: ((pairs[p].error or 0.0) + sum(target["measure"][(q,)].error for q in p), p)
    )


def case(
    gate: str, order: tuple[int, int], width: int, pair: tuple[int, int]
) -> tuple[str, dict[str, float]]:
    small = QuantumCircuit(2)
    small.ry(2.14, 0)
    small.rx(1.85, 1)
    if gate == "rzx":
        small.rzx(1.3, *order)
    else:
        getattr(small, gate)(*order)
    small.ry(1.06, 0)
    small.rx(-2.22, 1)
    ideal = dict(Statevector(small).probabilities_dict())
    wide = QuantumCircuit(width, 2)
    wide.compose(small, qubits=list(pair), inplace=True)
    wide.measure(list(pair), [0, 1])
    return qasm2.dumps(wide), ideal


@pytest.mark.parametrize(
    ("gate", "order"), [("ecr", (0, 1)), ("ecr", (1, 0)), ("rzx", (1, 0)), ("iswap", (1, 0))]
)
def test_standard_gate_definitions_route_and_flip_through_thrift(
    aer_server: Any, gate: str, order: tuple[int, int]
) -> None:
    from qhost.catalog import default_catalog

    qasm, ideal = case(gate, order, default_catalog().device(DEVICE).num_qubits, one_way_pair())
    assert f"gate {gate}" in qasm
    with ThriftBackendClient("127.0.0.1", aer_server.thrift_port, timeout=30.0, run_timeout=300.0) as client:
        counts = client.run(qasm, SHOTS, backend=f"{DEVICE}@aer")
    got = {k.replace(" ", ""): v / SHOTS for k, v in counts.items()}
    distance = 0.5 * sum(abs(got.get(k, 0.0) - ideal.get(k, 0.0)) for k in set(got) | set(ideal))
    assert distance < TVD_LIMIT, (counts, ideal)


def test_a_thrift_job_records_its_run_time_estimate(aer_server: Any) -> None:
    bell = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
    bell += "measure q -> c;\n"
    with ThriftBackendClient("127.0.0.1", aer_server.thrift_port, timeout=30.0) as client:
        job = client.submit(bell, 100, backend="fake_manila@aer")
    record = aer_server.app.extensions["qhost"].engine.get(job["id"])
    assert record.spec.meta["estimate_s"] > 0  # the console's job page shows it
