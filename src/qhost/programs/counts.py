"""Program ``counts``: run one OpenQASM circuit on a ``<device>@<executor>`` backend.

Inputs JSON: ``{"qasm": str, "shots": int | null, "seed": int | null}`` (``shots`` null → 1000,
limited by ``QHOST_MAX_SHOTS``). Output JSON::

    {"counts": {"00": 503, "11": 497},
     "metadata": {"method": "stabilizer", "noise": false, "shots": 1000, "time_taken": 0.0012,
                  "backend": "ideal@aer"}}

A batch (one job of N circuits, the Qrisp door's multi-program jobs) has lists: ``{"qasm": [q1, …],
"shots": [s1, …], "seed": …}``; its output is ``{"batch": [<one circuit's output>, …]}`` and it reports
progress after each circuit (``report(i, N, "circuits")``).

Runs in warm worker processes; the catalog, devices, noise models, executors and prepared circuits
are cached per process (see :mod:`qhost.programs.runner`).
"""

from __future__ import annotations

import json
from typing import Any

from qhost.errors import InvalidOption

__all__ = ["DEFAULT_BACKEND", "parse_inputs", "run"]

DEFAULT_BACKEND = "ideal@aer"
_KEYS = frozenset({"qasm", "shots", "seed"})


def parse_inputs(inputs: str) -> dict[str, Any]:
    """Decode and check the inputs JSON.

    Raises:
        InvalidOption: not a JSON object, unknown keys, or a non-integer seed.
    """
    try:
        data = json.loads(inputs)
    except (TypeError, ValueError) as exc:
        raise InvalidOption(f"counts inputs must be a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidOption("counts inputs must be a JSON object with keys 'qasm', 'shots', 'seed'")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InvalidOption(f"Unknown counts input {unknown[0]!r}; valid: {sorted(_KEYS)}")
    qasm, shots = data.get("qasm"), data.get("shots")
    if isinstance(qasm, list) and (not isinstance(shots, list) or len(shots) != len(qasm)):
        raise InvalidOption("a counts batch needs 'shots' as a list with one entry per 'qasm' entry")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidOption(f"seed must be a non-negative integer or null, got {seed!r}")
    return data


def run(backend: str | None, inputs: str) -> str:
    """Run the counts program; returns the result JSON text (see the module docstring)."""
    data = parse_inputs(inputs)
    backend = backend or DEFAULT_BACKEND
    qasm, shots, seed = data.get("qasm"), data.get("shots"), data.get("seed")
    if not isinstance(qasm, list):
        return json.dumps(_one(backend, qasm, shots, seed))
    from qhost.programs.progress import report

    outputs: list[dict[str, Any]] = []
    report(0, len(qasm), "circuits")
    for group in _groups(shots or [], seed):
        outputs.extend(_group(backend, [qasm[i] for i in group], shots[group[0]], seed, group))  # type: ignore[index]
        report(len(outputs), len(qasm), "circuits")
    return json.dumps({"batch": outputs})


GROUP_SIZE = 25
"""Most circuits of a batch run in one simulator call (progress is reported after each group)."""


def _groups(shots: list[Any], seed: int | None) -> list[list[int]]:
    """Runs of neighbouring circuits with the same shots, ``GROUP_SIZE`` at most (one each with a seed)."""
    groups: list[list[int]] = []
    for i, count in enumerate(shots):
        last = groups[-1] if groups else None
        if seed is None and last and len(last) < GROUP_SIZE and shots[last[0]] == count:
            last.append(i)
        else:
            groups.append([i])
    return groups


def _group(
    backend: str, texts: list[str], shots: Any, seed: int | None, indices: list[int]
) -> list[dict[str, Any]]:
    from qhost.programs.runner import run_ideal_group

    if len(texts) > 1 and all(isinstance(t, str) for t in texts):
        results = run_ideal_group(backend, texts, shots)
        if results is not None:
            return [_output(backend, result) for result in results]
    return [
        _one(backend, t, shots, None if seed is None else seed + i)
        for t, i in zip(texts, indices, strict=True)
    ]


def _one(backend: str, qasm: Any, shots: Any, seed: int | None) -> dict[str, Any]:
    from qhost.programs.runner import run_qasm

    return _output(backend, run_qasm(backend, qasm, shots, seed))


def _output(backend: str, result: Any) -> dict[str, Any]:
    metadata = {
        "method": result.method,
        "noise": result.noise,
        "shots": result.shots,
        "time_taken": result.time_taken,
        "backend": backend,
    }
    return {"counts": result.counts, "metadata": metadata}
