"""The Qiskit Aer executors (CPU): ``aer`` and the method-pinned ``aer_mps``, ``aer_stabilizer`` and
``aer_density_matrix``, with gate inlining for Aer.

It uses the executor contract (:mod:`qhost.executors` base, errors, limits, circuits); never the catalog, the
engine or a front door.

May import: qhost.executors, qhost.devices, qhost.errors.
"""

from __future__ import annotations

from qhost.executors.aer.executor import AerExecutor, CountsResult, PreparedCircuit
from qhost.executors.aer.methods import AerDensityMatrixExecutor, AerMpsExecutor, AerStabilizerExecutor

__all__ = [
    "AerDensityMatrixExecutor",
    "AerExecutor",
    "AerMpsExecutor",
    "AerStabilizerExecutor",
    "CountsResult",
    "PreparedCircuit",
]
