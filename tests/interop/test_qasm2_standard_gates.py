"""Every 1- and 2-qubit standard gate, in both directions, through the Qrisp door on Eagle and Heron devices.

Qrisp sends ``qiskit.qasm2.dumps`` of its circuit (``QuantumCircuit.to_qasm2``), which writes the standard
gates outside ``qelib1.inc`` (``ecr``, ``rzx``, ``iswap`` …) as ``gate`` definitions. The server must read
them back as the standard gates, or the transpiler can neither route nor flip them: an ``ecr`` placed
against fake_sherbrooke's direction failed with "ecr would be supported on [...] if the direction was
swapped". Each circuit is as wide as the device (as Qrisp's are), uses a coupled pair of qubits with the
device's own two-qubit gate in one direction, rotates both qubits before and after the gate (two settings
of the rotations after it, so that phases show in the counts), and its measured distribution is compared
with the ideal one within the device's noise: total variation distance under ``TVD_LIMIT``. The settings
are chosen so that leaving any gate but ``id`` out moves at least one setting's ideal distribution by more
than ``TVD_LIMIT`` (checked below without a server).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import Gate
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Statevector

from qhost.client.backend_client import BackendClient

from .conftest import qhost_server

pytestmark = [pytest.mark.interop, pytest.mark.slow]

DEVICES = ("fake_sherbrooke", "fake_torino", "fake_kingston")
SHOTS = 2000
TVD_LIMIT = 0.08
"""Device noise on the best pair (readout ~1 % a qubit, a few two-qubit gates after translation) plus shot
noise at 2000 shots: the largest distance seen was 0.05 (2026-12-08)."""
PREPARE = (2.14, 1.85)
"""``ry`` on the first qubit and ``rx`` on the second, before the gate."""
SETTINGS = ((1.06, -2.22), (0.21, 2.78))
"""``ry`` on the first qubit and ``rx`` on the second after the gate: one circuit per setting."""


def standard_gates() -> list[Any]:
    """Every standard gate on 1 or 2 qubits, with generic parameter values."""
    gates = []
    for _, gate in sorted(get_standard_gate_name_mapping().items()):
        if isinstance(gate, Gate) and gate.num_qubits in (1, 2):
            gates.append(type(gate)(*[1.76 + 0.36 * i for i in range(len(gate.params))]))
    return gates


def directed_pair(device: str) -> tuple[int, int]:
    """The pair ``(a, b)`` with the device's two-qubit gate on ``a → b`` only (where the device has a
    direction) whose gate and readout errors are smallest: the comparison measures the gates, not one bad
    qubit's readout."""
    from qhost.catalog import default_catalog

    target = default_catalog().device(device).backend().target
    name = next(n for n in ("ecr", "cz", "cx") if n in target.operation_names)
    pairs = {q: props for q, props in target[name].items() if q is not None and len(q) == 2}
    one_way = [p for p in pairs if (p[1], p[0]) not in pairs] or list(pairs)

    def error(pair: tuple[int, int]) -> float:
        readout = sum(target["measure"][(q,)].error or 0.0 for q in pair)
        return (pairs[pair].error or 0.0) + readout

    return min(one_way, key=lambda pair: (error(pair), pair))


def small_circuit(gate: Gate | None, order: tuple[int, ...], setting: tuple[float, float]) -> QuantumCircuit:
    """The two-qubit circuit: prepare, ``gate`` on ``order`` (none: left out), rotate by ``setting``."""
    small = QuantumCircuit(2, 2)
    small.ry(PREPARE[0], 0)
    small.rx(PREPARE[1], 1)
    if gate is not None:
        small.append(gate, list(order))
    small.ry(setting[0], 0)
    small.rx(setting[1], 1)
    return small


def orders(gate: Gate) -> list[tuple[int, ...]]:
    return [(0, 1), (1, 0)] if gate.num_qubits == 2 else [(0,), (1,)]


def cases(device: str) -> list[tuple[str, QuantumCircuit, dict[str, float]]]:
    """``(label, device-wide circuit, ideal distribution of c)`` for every gate, direction and setting."""
    from qhost.catalog import default_catalog

    width = default_catalog().device(device).num_qubits
    a, b = directed_pair(device)
    out = []
    for gate in standard_gates():
        for order in orders(gate):
            for index, setting in enumerate(SETTINGS):
                small = small_circuit(gate, order, setting)
                wide = QuantumCircuit(width, 2)
                wide.compose(small, qubits=[a, b], inplace=True)
                wide.measure([a, b], [0, 1])
                out.append((f"{device}:{gate.name}{order}/{index}", wide, ideal(small)))
    return out


def ideal(small: QuantumCircuit) -> dict[str, float]:
    return dict(Statevector(small.remove_final_measurements(inplace=False)).probabilities_dict())


def tvd(counts: dict[str, int], expected: dict[str, float]) -> float:
    total = sum(counts.values())
    keys = set(counts) | set(expected)
    return 0.5 * sum(abs(counts.get(k, 0) / total - expected.get(k, 0.0)) for k in keys)


def test_every_gate_but_id_shows_in_some_setting() -> None:
    """Leaving a gate out would put some setting's distribution beyond ``TVD_LIMIT`` (with 0.02 to spare)."""
    hidden = []
    for gate in standard_gates():
        for order in orders(gate):
            moved = max(
                tvd_p(ideal(small_circuit(gate, order, s)), ideal(small_circuit(None, order, s)))
                for s in SETTINGS
            )
            if moved < TVD_LIMIT + 0.02 and gate.name != "id":
                hidden.append((gate.name, order, round(moved, 3)))
    assert not hidden


def tvd_p(p: dict[str, float], q: dict[str, float]) -> float:
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with qhost_server(tmp_path_factory.mktemp("gates"), process_workers=2, threads=8) as (url, _):
        yield url


@pytest.mark.parametrize("device", DEVICES)
def test_every_standard_gate_both_ways_matches_the_ideal_distribution(server_url: str, device: str) -> None:
    host, port = server_url.removeprefix("http://").split(":")
    client = BackendClient(host, int(port), device_name=f"{device}@aer")
    todo = cases(device)
    try:
        ids = [client.submit(qasm2.dumps(circuit), SHOTS) for _, circuit, _ in todo]
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda job_id: client.result(job_id, timeout=600), ids))
    finally:
        client.close()
    far, worst = {}, 0.0
    for (label, _, expected), counts in zip(todo, results, strict=True):
        got = {k.replace(" ", ""): int(v) for k, v in counts.items()}
        assert sum(got.values()) == SHOTS, label
        distance = tvd(got, expected)
        worst = max(worst, distance)
        if distance > TVD_LIMIT:
            far[label] = round(distance, 3)
    print(f"{device}: {len(todo)} circuits, largest distance from the ideal {worst:.3f}")
    assert not far, f"distributions beyond TVD {TVD_LIMIT} of the ideal: {far}"
