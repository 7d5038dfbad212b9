"""Fixtures for executor / catalog tests: the process-wide catalog, devices and QASM samples."""

from __future__ import annotations

import pytest

from qhost.catalog import Catalog, Device, default_catalog
from qhost.executors import get_executor
from qhost.executors.aer import AerExecutor

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
