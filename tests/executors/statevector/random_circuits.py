"""Random circuits over many gate kinds (shared by the CPU lowering tests and the GPU tests)."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit import library as lib
from qiskit.quantum_info import random_unitary

__all__ = ["GATES_1Q", "GATES_2Q", "GATES_3Q", "ghz", "param_circuit", "random_circuit"]

GATES_1Q = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p", "u"]
GATES_2Q = [
    "cx",
    "cy",
    "cz",
    "ch",
    "swap",
    "iswap",
    "crx",
    "cry",
    "crz",
    "cp",
    "cu",
    "rxx",
    "ryy",
    "rzz",
    "rzx",
    "ecr",
    "dcx",
    "csx",
]
GATES_3Q = ["ccx", "cswap", "ccz", "rccx", "open_ccx", "unitary3", "composite", "mcx4", "pauli"]


def _angle(rng: np.random.Generator) -> float:
    return float(rng.uniform(-np.pi, np.pi))


def _add_1q(qc: QuantumCircuit, name: str, q: int, rng: np.random.Generator) -> None:
    if name in ("rx", "ry", "rz", "p"):
        getattr(qc, name)(_angle(rng), q)
    elif name == "u":
        qc.u(_angle(rng), _angle(rng), _angle(rng), q)
    else:
        getattr(qc, name)(q)


def _add_2q(qc: QuantumCircuit, name: str, a: int, b: int, rng: np.random.Generator) -> None:
    if name in ("crx", "cry", "crz", "cp", "rxx", "ryy", "rzz", "rzx"):
        getattr(qc, name)(_angle(rng), a, b)
    elif name == "cu":
        qc.cu(_angle(rng), _angle(rng), _angle(rng), _angle(rng), a, b)
    else:
        getattr(qc, name)(a, b)


def _composite() -> lib.UnitaryGate:
    sub = QuantumCircuit(3, name="composite")
    sub.h(0)
    sub.cx(0, 1)
    sub.ry(0.3, 2)
    sub.ccx(0, 1, 2)
    return sub.to_gate()


def _add_3q(qc: QuantumCircuit, name: str, qs: list[int], rng: np.random.Generator) -> None:
    if name == "open_ccx":
        qc.append(lib.XGate().control(2, ctrl_state="01"), qs[:3])
    elif name == "unitary3":
        qc.append(lib.UnitaryGate(random_unitary(8, seed=int(rng.integers(1 << 30)))), qs[:3])
    elif name == "composite":
        qc.append(_composite(), qs[:3])
    elif name == "mcx4":
        qc.mcx(qs[:4], qs[4])
    elif name == "pauli":
        qc.append(lib.PauliGate("XYZ"), qs[:3])
    else:
        getattr(qc, name)(*qs[:3])


def random_circuit(num_qubits: int, depth: int, seed: int, *, mid_measure: bool = False) -> QuantumCircuit:
    """``depth`` random gates of every kind; with ``mid_measure`` also measure/reset in the middle."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(num_qubits, num_qubits if mid_measure else 0)
    kinds = ["1q"] * 3 + ["2q"] * 3 + ["3q"] + (["meas", "reset"] if mid_measure else [])
    for _ in range(depth):
        kind = kinds[int(rng.integers(len(kinds)))]
        qs = [int(q) for q in rng.permutation(num_qubits)]
        if kind == "1q":
            _add_1q(qc, GATES_1Q[int(rng.integers(len(GATES_1Q)))], qs[0], rng)
        elif kind == "2q":
            _add_2q(qc, GATES_2Q[int(rng.integers(len(GATES_2Q)))], qs[0], qs[1], rng)
        elif kind == "3q" and num_qubits >= 5:
            _add_3q(qc, GATES_3Q[int(rng.integers(len(GATES_3Q)))], qs, rng)
        elif kind == "meas":
            qc.measure(qs[0], qs[0])
        elif kind == "reset":
            qc.reset(qs[0])
    return qc


def param_circuit(num_qubits: int, reps: int = 2) -> QuantumCircuit:
    """A hardware-efficient ansatz with expressions (2*theta, theta+phi) and controlled rotations."""
    qc = QuantumCircuit(num_qubits)
    params = [Parameter(f"t{i}") for i in range(num_qubits * (reps + 1))]
    k = 0
    for _ in range(reps):
        for q in range(num_qubits):
            qc.ry(params[k], q)
            qc.rz(2 * params[k] + 0.1, q)
            k += 1
        for q in range(num_qubits - 1):
            qc.cx(q, q + 1)
        qc.crx(params[k - 1] + params[0], 0, num_qubits - 1)
        qc.rzz(params[1], 0, 1)
        qc.u(params[2], params[3], 0.5, 1)
    for q in range(num_qubits):
        qc.rx(params[k + q], q)
        qc.cp(params[k], q, (q + 1) % num_qubits)
    return qc


def ghz(num_qubits: int) -> QuantumCircuit:
    qc = QuantumCircuit(num_qubits)
    qc.h(0)
    for q in range(num_qubits - 1):
        qc.cx(q, q + 1)
    qc.measure_all()
    return qc
