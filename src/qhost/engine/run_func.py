"""The engine's own program for a user's ``run_func(qasm, shots, token) -> counts``: counts as JSON."""

from __future__ import annotations

import json
import numbers

from qhost.errors import ExecutorError
from qhost.executors.base import RunFunc

__all__ = ["run_func_counts"]


def run_func_counts(run_func: RunFunc, inputs: str) -> str:
    """Call the user's run_func with a job's inputs and return its counts as JSON text."""
    args = json.loads(inputs)
    counts = run_func(args["qasm"], args.get("shots"), args.get("token", ""))
    if not isinstance(counts, dict):
        raise ExecutorError(f"run_func returned {type(counts).__name__}, expected a dict of str -> int/float")
    out: dict[str, int | float] = {}
    for key, value in counts.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, numbers.Real):
            kind = type(value).__name__
            raise ExecutorError(
                f"run_func returned a dict with entry {key!r}: {kind}; expected str -> int/float"
            )
        out[key] = int(value) if isinstance(value, numbers.Integral) else float(value)
    return json.dumps(out)
