"""EstimatorV2 PUBs before they reach an executor: idle-qubit reduction and IBM's per-PUB ``shots``.

**Idle-qubit reduction.** A qubit no instruction touches stays in ``|0⟩`` (device noise acts on
gates, measurements and delays; relaxation keeps ``|0⟩``), so on it ``X``/``Y`` have expectation 0,
``Z`` and ``I`` have 1, and the projectors ``0``/``1``/``+``/``-``/``r``/``l`` have 1/0/½/½/½/½.
Each observable term is multiplied by those factors and the idle positions set to ``I`` before
anything is sized: an ``X`` on all 127 qubits of a circuit active on 3 becomes the constant 0 on 3
active qubits instead of a 2^127 state.

**Shots.** IBM reports ``metadata["shots"]`` per Estimator PUB: ``ceil(1/precision²)`` (4096 at the
default 1/64), or ``num_randomizations × shots_per_randomization`` when twirling is on, split by the
client's own ``calculate_twirling_shots`` (the maintained rule, imported rather than copied).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qiskit.primitives.containers.estimator_pub import EstimatorPub

__all__ = ["IDLE_FACTORS", "estimator_shots", "reduce_idle_qubits", "twirling_split"]

IDLE_FACTORS = {"I": 1.0, "Z": 1.0, "X": 0.0, "Y": 0.0, "0": 1.0, "1": 0.0}
"""Expectation of each single-qubit label on ``|0⟩`` (``+ - r l`` are ½)."""
_HALF = frozenset("+-rl")


def _factor(label: str) -> float:
    return 0.5 if label in _HALF else IDLE_FACTORS[label]


def _reduce_terms(terms: dict[str, float], idle: list[int], n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for label, coeff in terms.items():
        chars = list(label)
        weight = 1.0
        for q in idle:
            weight *= _factor(chars[n - 1 - q])
            chars[n - 1 - q] = "I"
            if weight == 0.0:
                break
        if weight != 0.0:
            key = "".join(chars)
            out[key] = out.get(key, 0.0) + coeff * weight
    if any(out.values()):
        return out
    # A zero observable is refused by qiskit ("Empty observable"): keep one X on an idle qubit, whose
    # expectation is exactly 0 and which costs one qubit.
    zero = ["I"] * n
    zero[n - 1 - idle[0]] = "X"
    return {"".join(zero): 1.0}


def _map(value: Any, fn: Any) -> Any:
    if isinstance(value, list):
        return [_map(v, fn) for v in value]
    return fn(value)


def reduce_idle_qubits(pub: EstimatorPub) -> EstimatorPub:
    """``pub`` with every observable reduced on the circuit's idle qubits (see the module docstring)."""
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.primitives.containers.observables_array import ObservablesArray

    from qhost.executors.circuits import active_qubits

    circuit = pub.circuit
    n = circuit.num_qubits
    active = set(active_qubits(circuit))
    idle = [q for q in range(n) if q not in active]
    if not idle:
        return pub
    terms = pub.observables.tolist()
    reduced = ObservablesArray(_map(terms, lambda d: _reduce_terms(d, idle, n)))
    return EstimatorPub(circuit, reduced, pub.parameter_values, pub.precision, validate=False)


def twirling_split(options: dict[str, Any], shots: int, level: object = 1) -> tuple[int, int] | None:
    """``(num_randomizations, shots_per_randomization)`` when the options twirl, else ``None``.

    IBM's legacy Estimator defaults to resilience level 1 (``params.resilience_level``), which twirls
    measurements; twirling counts as on when ``enable_gates``/``enable_measure`` is true, or when
    ``enable_measure`` is unset at a resilience level of 1 or more.
    """
    from qiskit_ibm_runtime.executor.calculate_twirling_shots import calculate_twirling_shots

    twirling = options.get("twirling") or {}
    if not isinstance(twirling, dict):
        return None
    on = twirling.get("enable_gates") is True or twirling.get("enable_measure") is True
    if twirling.get("enable_measure") is None and isinstance(level, int) and level >= 1:
        on = True
    if not on:
        return None
    rand = twirling.get("num_randomizations", "auto")
    per = twirling.get("shots_per_randomization", "auto")
    rand = rand if isinstance(rand, int) and rand > 0 else "auto"
    per = per if isinstance(per, int) and per > 0 else "auto"
    return calculate_twirling_shots(shots, rand, per)


def estimator_shots(precision: float, options: dict[str, Any], level: object = 1) -> int:
    """The shots IBM would spend on one PUB at ``precision`` with these options and resilience level."""
    shots = math.ceil(1.0 / precision**2)
    split = twirling_split(options, shots, level)
    return shots if split is None else split[0] * split[1]
