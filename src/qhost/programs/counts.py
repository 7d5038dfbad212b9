"""Program ``counts``: run one OpenQASM circuit on a ``<device>@<executor>`` backend.

Inputs JSON: ``{"qasm": str, "shots": int | null, "seed": int | null}`` (``shots`` null → 1000,
limited by ``QHOST_MAX_SHOTS``). Output JSON::

    {"counts": {"00": 503, "11": 497},
     "metadata": {"method": "stabilizer", "noise": false, "shots": 1000, "time_taken": 0.0012,
                  "backend": "ideal@aer"}}

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
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidOption(f"seed must be a non-negative integer or null, got {seed!r}")
    return data


def run(backend: str | None, inputs: str) -> str:
    """Run the counts program; returns the result JSON text (see the module docstring)."""
    from qhost.programs.runner import run_qasm

    data = parse_inputs(inputs)
    backend = backend or DEFAULT_BACKEND
    result = run_qasm(backend, data.get("qasm"), data.get("shots"), data.get("seed"))  # type: ignore[arg-type]
    metadata = {
        "method": result.method,
        "noise": result.noise,
        "shots": result.shots,
        "time_taken": result.time_taken,
        "backend": backend,
    }
    return json.dumps({"counts": result.counts, "metadata": metadata})
