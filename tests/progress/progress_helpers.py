"""Helpers of the progress tests (a module of its own: ``conftest`` names clash across test dirs)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from qhost.programs import register_program

__all__ = ["HERE", "heavy_circuit", "sampler_params", "until"]

HERE = Path(__file__).resolve().parent
register_program("stepped", "progress_programs:stepped")  # spawned workers import it: HERE is on sys.path


def until(condition: Callable[[], Any], timeout: float = 60.0, every: float = 0.02) -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def heavy_circuit() -> QuantumCircuit:
    """Five qubits in fake_manila's ISA, deep enough that noisy sampling takes a while per PUB."""
    qc = QuantumCircuit(5)
    for _ in range(20):
        for q in range(4):
            qc.cx(q, q + 1)
        for q in range(5):
            qc.sx(q)
    qc.measure_all()
    return qc


def sampler_params(pubs: int, shots: int) -> dict[str, Any]:
    """SamplerV2 params with ``pubs`` copies of the heavy circuit, encoded as the stock client does."""
    from qiskit_ibm_runtime import RuntimeEncoder

    body = {
        "pubs": [[heavy_circuit(), np.zeros((0,)), shots]] * pubs,
        "options": {"simulator": {"seed_simulator": 7}},
        "version": 2,
        "support_qiskit": True,
    }
    return json.loads(json.dumps(body, cls=RuntimeEncoder))  # type: ignore[no-any-return]
