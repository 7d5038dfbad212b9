"""Run-time estimates: how long a job's circuits should take, from the model that sizes their memory.

:func:`~qhost.executors.limits.required_bytes` says how many bytes a method's state needs; a simulator
sweeps that state once per gate, so a circuit costs about ``gates × state bytes / STATE_BYTES_PER_SECOND``
per pass, plus a fixed cost per circuit and per shot. The method is the one the Aer executor picks
(:meth:`~qhost.executors.aer.executor.AerExecutor.choose_method`): noise-free circuits run one pass and
sample their shots from it; noisy ones run one density-matrix pass when ``shots > 2^n`` (small circuits),
else one statevector trajectory per shot.

It is an **estimate** (the IBM door's ``estimated_running_time_seconds``), not a promise: Clifford circuits
run far faster on the stabilizer method, gate fusion merges gates, and a loaded machine runs slower. The
constants are deliberately on the slow side of a 2-core VM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qhost.executors.limits import DEFAULT_SHOTS, required_bytes

__all__ = [
    "CIRCUIT_OVERHEAD_S",
    "METHOD_OF_EXECUTOR",
    "SHOT_S",
    "STATE_BYTES_PER_SECOND",
    "circuit_seconds",
    "estimated_seconds",
]

STATE_BYTES_PER_SECOND = 1e9
"""State bytes a simulator sweeps per second for one gate (a conservative single-core figure)."""
CIRCUIT_OVERHEAD_S = 0.02
"""Fixed cost per circuit: building the noise model, handing the circuit to the simulator, results."""
SHOT_S = 2e-6
"""Cost per shot of sampling and counting outcomes."""
_MAX_ESTIMATE_S = 10.0**9


def circuit_seconds(qubits: int, gates: int, shots: int, *, noisy: bool, method: str = "automatic") -> float:
    """Seconds one circuit of ``qubits`` active qubits and ``gates`` gates should take for ``shots``.

    ``method``: the executor's pinned method (``stabilizer``, ``matrix_product_state``, ``density_matrix``)
    or ``automatic`` (statevector, or density_matrix for small noisy circuits, as Aer picks).
    """
    qubits, gates, shots = max(int(qubits), 0), max(int(gates), 1), max(int(shots), 1)
    if method != "automatic":
        passes = 1 if method == "density_matrix" or not noisy else shots
    elif qubits > 60:  # past any statevector: the memory check refuses it, say "very long" not infinity
        return _MAX_ESTIMATE_S
    elif not noisy:
        method, passes = "statevector", 1
    elif shots > (1 << qubits):
        method, passes = "density_matrix", 1
    else:
        method, passes = "statevector", shots
    if method == "density_matrix" and qubits > 30:
        return _MAX_ESTIMATE_S
    sweep = gates * required_bytes(method, qubits) / STATE_BYTES_PER_SECOND
    return min(CIRCUIT_OVERHEAD_S + passes * sweep + shots * SHOT_S, _MAX_ESTIMATE_S)


METHOD_OF_EXECUTOR = {
    "aer_stabilizer": "stabilizer",
    "stim": "stabilizer",
    "aer_mps": "matrix_product_state",
    "aer_density_matrix": "density_matrix",
}
"""Executors whose method is fixed (the others are sized as Aer's ``automatic``)."""


def estimated_seconds(
    rows: Iterable[Mapping[str, Any]], count: int | None = None, *, noisy: bool, executor: str = "aer"
) -> float:
    """The estimate for a job from its input summary rows (``qubits``/``active``, ``gates``, ``shots``).

    ``count`` is the job's number of circuits when the summary describes only the first ones: the
    described circuits' mean stands for the rest. Rounded to milliseconds.
    """
    rows = list(rows)
    if not rows:
        return CIRCUIT_OVERHEAD_S
    each = [
        circuit_seconds(
            int(row.get("active", row.get("qubits", 0)) or 0),
            int(row.get("gates", 1) or 1),
            _shots(row),
            noisy=noisy,
            method=METHOD_OF_EXECUTOR.get(executor, "automatic"),
        )
        * _points(row)
        for row in rows
    ]
    total = sum(each) * max(count or len(rows), len(rows)) / len(rows)
    return round(min(total, _MAX_ESTIMATE_S), 3)


def _points(row: Mapping[str, Any]) -> int:
    """Parameter sets a PUB runs (the product of its ``shape``; 1 for none)."""
    points = 1
    for size in row.get("shape") or ():
        points *= max(int(size), 1)
    return points


def _shots(row: Mapping[str, Any]) -> int:
    shots = row.get("shots")
    if isinstance(shots, int) and shots > 0:
        return shots
    return DEFAULT_SHOTS if "precision" not in row else 1
