"""Fixtures for executor / catalog tests: the process-wide catalog, devices and QASM samples; for the
statevector and cuStateVec tests, the numpy reference and random circuits (``statevector/``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qhost.catalog import Catalog, Device, default_catalog
from qhost.executors import get_executor
from qhost.executors.aer.executor import AerExecutor

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
)

GHZ5 = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\ncreg c[5];\nh q[0];\n'
    "cx q[0],q[1];\ncx q[1],q[2];\ncx q[2],q[3];\ncx q[3],q[4];\nmeasure q -> c;\n"
)

# What Qrisp sends: one qreg/creg per qubit, composite gates named after Python object ids.
QRISP_QASM = """OPENQASM 2.0;
include "qelib1.inc";
gate pt2cx_140236381578448 q0,q1 { h q0; cx q0,q1; }
gate gphase_140236381579999 q0 { rz(0.5) q0; rz(-0.5) q0; }
qreg q_0[1];
qreg q_1[1];
creg cb_0[1];
creg cb_1[1];
pt2cx_140236381578448 q_0[0],q_1[0];
gphase_140236381579999 q_1[0];
measure q_0[0] -> cb_0[0];
measure q_1[0] -> cb_1[0];
"""


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="session")
def aer() -> AerExecutor:
    executor = get_executor("aer")
    assert isinstance(executor, AerExecutor)
    return executor


@pytest.fixture(scope="session")
def ideal(catalog: Catalog) -> Device:
    return catalog.device("ideal")


@pytest.fixture(scope="session")
def manila(catalog: Catalog) -> Device:
    return catalog.device("fake_manila")


@pytest.fixture(scope="session")
def bell_qasm() -> str:
    return BELL


@pytest.fixture(scope="session")
def ghz5_qasm() -> str:
    return GHZ5


@pytest.fixture(scope="session")
def qrisp_qasm() -> str:
    return QRISP_QASM


def _load(name: str) -> ModuleType:
    path = Path(__file__).with_name("statevector") / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_statevector_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ref() -> ModuleType:
    """The numpy reference module (``NumpyState``, ``run_ops``)."""
    return _load("numpy_reference")


@pytest.fixture(scope="session")
def circuits() -> ModuleType:
    """Random-circuit builders (``random_circuit``, ``param_circuit``, ``ghz``)."""
    return _load("random_circuits")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)


@pytest.fixture
def aer_counts():
    return _aer_counts


@pytest.fixture
def distance():
    return _distance


def _aer_counts(circuit: QuantumCircuit, shots: int, seed: int = 7) -> dict[str, int]:
    """Reference counts from qiskit-aer's statevector method."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method="statevector", seed_simulator=seed)
    return sim.run(transpile(circuit, sim), shots=shots).result().get_counts()


def _distance(a: dict[str, int], b: dict[str, int]) -> float:
    """Total variation distance between two count dictionaries (keys without spaces)."""
    a = {k.replace(" ", ""): v for k, v in a.items()}
    b = {k.replace(" ", ""): v for k, v in b.items()}
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))
