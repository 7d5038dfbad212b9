"""IBM primitive results as plain JSON, for clients that send ``params.support_qiskit = false`` (pure).

The stock Python client sends ``support_qiskit: true`` and reads ``RuntimeEncoder`` JSON (QPY, base64
NumPy). A client without Qiskit (curl, Julia, Rust) asks for ``support_qiskit: false`` and gets IBM's plain
shape instead:

- Sampler: ``{"results": [{"data": {"<creg>": {"samples": ["0x3", …], "num_bits": 2}}, "metadata": {…}}],
  "metadata": {…}}``; a PUB with parameter sets nests ``samples`` by the PUB's shape (one list of shots per
  parameter set). Each sample is the register's value in hex, clbit 0 the least significant bit.
- Estimator: ``{"results": [{"data": {"evs": …, "stds": …, "ensemble_standard_error": …}, "metadata": …}],
  "metadata": …}``, numbers (a float for a shape-``()`` PUB) or nested lists by the PUB's shape.

Metadata keeps what is JSON already (numbers, strings, lists, objects), times as ISO 8601 text, and leaves
out objects that have no plain form (the execution spans).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

__all__ = ["plain_result", "wants_plain"]


def wants_plain(decoded: dict[str, Any]) -> bool:
    """True when the client asked for plain JSON (``support_qiskit`` given and false)."""
    return decoded.get("support_qiskit") is False


def plain_result(result: Any) -> dict[str, Any]:
    """A ``PrimitiveResult`` (sampler or estimator) in IBM's ``support_qiskit=false`` JSON shape."""
    return {
        "results": [{"data": _data(pub.data), "metadata": _jsonable(pub.metadata)} for pub in result],
        "metadata": _jsonable(result.metadata),
    }


def _data(data: Any) -> dict[str, Any]:
    from qiskit.primitives import BitArray

    out: dict[str, Any] = {}
    for name in data:
        value = data[name]
        if isinstance(value, BitArray):
            out[name] = {"samples": _hex_samples(value), "num_bits": value.num_bits}
        else:
            out[name] = _jsonable(value)
    return out


def _hex_samples(bits: Any) -> Any:
    """The shots of a ``BitArray`` as hex text, nested by its shape (bytes are big-endian per shot)."""
    array = np.asarray(bits.array, dtype=np.uint8)
    weights = 256 ** np.arange(array.shape[-1] - 1, -1, -1, dtype=object)
    values = (array.astype(object) * weights).sum(axis=-1) if array.shape[-1] else np.zeros(array.shape[:-1])
    return np.vectorize(lambda v: hex(int(v)), otypes=[object])(values).tolist()


def _jsonable(value: Any, depth: int = 0) -> Any:
    if depth > 32:
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        items = ((str(k), _jsonable(v, depth + 1)) for k, v in value.items())
        return {k: v for k, v in items if v is not _DROP}
    if isinstance(value, (list, tuple)):
        return [v for v in (_jsonable(item, depth + 1) for item in value) if v is not _DROP]
    return _DROP


_DROP: Any = object()
"""Marks a value without a plain form; left out of its object or list."""
