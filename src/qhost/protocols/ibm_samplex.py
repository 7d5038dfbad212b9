"""Samplex items of IBM's ``executor`` program: pure checks and decoding, no simulation.

A ``samplex`` item (``ibm_quantum_schemas.executor.version_2_0.SamplexItemModel``) carries a
samplomatic ``Samplex`` as JSON, its arguments (tensors, Pauli-Lindblad maps, scalars) and a
``shape`` whose extra axes count randomisations. The client's twirled Sampler and every executor
Estimator mode (TREX, ZNE, PEA, PEC) send only such items; the mitigation itself is built by the
client and undone by its post-processor, so the server's job is to draw the randomisations
(``Samplex.sample``, samplomatic's maintained sampler: twirls, basis changes, injected Pauli-Lindblad
noise at the item's scales) and run the bound template circuit.

Untrusted input: sizes are checked on the raw JSON (``check_raw_item``) before pydantic or
samplomatic parse anything, and the work an item asks for (elements x shots) is capped.
"""

from __future__ import annotations

import math
from typing import Any

from qhost.errors import CircuitTooLarge, InputError, PayloadTooLarge

__all__ = [
    "MAX_ITEM_ELEMENTS",
    "MAX_ITEM_SHOTS",
    "MAX_SAMPLEX_JSON_CHARS",
    "check_circuit_item",
    "check_elements",
    "check_raw_item",
    "decode_samplex_item",
]

MAX_ITEM_ELEMENTS = 100_000
"""Largest number of bound circuits (randomisations x parameter sets) one item may ask for."""
MAX_ITEM_SHOTS = 20_000_000
"""Largest elements x shots of one item."""
MAX_SAMPLEX_JSON_CHARS = 16 * 1024 * 1024
"""Longest ``samplex_json`` accepted."""


def _shape(item: dict[str, Any], index: int) -> tuple[int, ...]:
    shape = item.get("shape")
    if not isinstance(shape, list) or len(shape) > 16:
        raise InputError(f"executor item {index}: 'shape' must be a list of at most 16 integers")
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape):
        raise InputError(f"executor item {index}: 'shape' entries must be integers >= 1, got {shape}")
    return tuple(shape)


def check_raw_item(item: dict[str, Any], index: int, shots: object) -> None:
    """Refuse a samplex item that is malformed or too big, before anything parses it.

    Raises:
        InputError: missing/garbage ``samplex`` or ``shape``.
        PayloadTooLarge: ``samplex_json`` longer than ``MAX_SAMPLEX_JSON_CHARS``.
        CircuitTooLarge: more bound circuits or shots than the limits.
    """
    samplex = item.get("samplex")
    if not isinstance(samplex, dict) or not isinstance(samplex.get("samplex_json"), str):
        raise InputError(f"executor item {index}: 'samplex' must be an object with a 'samplex_json' string")
    if len(samplex["samplex_json"]) > MAX_SAMPLEX_JSON_CHARS:
        raise PayloadTooLarge(
            f"executor item {index}: samplex_json is longer than the limit of {MAX_SAMPLEX_JSON_CHARS} chars"
        )
    if not isinstance(item.get("samplex_arguments"), dict):
        raise InputError(f"executor item {index}: 'samplex_arguments' must be an object")
    check_elements(index, _shape(item, index), shots)


def check_circuit_item(item: dict[str, Any], index: int, shots: object) -> None:
    """The same work cap for a ``circuit`` item: its shape broadcast with its arguments' leading shape."""
    shape = _shape(item, index)
    arguments = item.get("circuit_arguments")
    leading = arguments.get("shape") if isinstance(arguments, dict) else None
    if not isinstance(leading, list) or not all(isinstance(d, int) and d >= 0 for d in leading):
        raise InputError(f"executor item {index}: circuit_arguments must be a tensor with an integer 'shape'")
    import numpy as np

    try:
        full = np.broadcast_shapes(tuple(leading[:-1]), shape)
    except ValueError:
        raise InputError(
            f"executor item {index}: shape {list(shape)} does not extend the arguments' shape {leading[:-1]}"
        ) from None
    check_elements(index, full, shots)


def check_elements(index: int, shape: tuple[int, ...], shots: object) -> None:
    """Refuse an item declaring more bound circuits, or shots, than the limits (before any array exists).

    Raises:
        CircuitTooLarge: naming the item, its shape and the limit.
    """
    elements = math.prod(shape)
    if elements > MAX_ITEM_ELEMENTS:
        raise CircuitTooLarge(
            f"executor item {index} declares shape {list(shape)}: {elements:,} parameter sets, "
            f"over the limit of {MAX_ITEM_ELEMENTS:,} per item (randomisations x parameter values)"
        )
    if isinstance(shots, int) and elements * shots > MAX_ITEM_SHOTS:
        raise CircuitTooLarge(
            f"executor item {index}: {elements:,} parameter sets x {shots:,} shots, over the limit of "
            f"{MAX_ITEM_SHOTS:,} shots per item"
        )


def decode_samplex_item(item: Any, index: int) -> tuple[Any, Any]:
    """``(samplex, arguments)`` of a validated ``SamplexItemModel``, arguments bound and broadcastable.

    Raises:
        InputError: the samplex JSON does not load, its SSV is newer than this server reads, or the
            arguments do not fit the samplex's inputs (wrong names, shapes, or a Pauli-Lindblad map
            on other qubits than the layer it belongs to).
    """
    from ibm_quantum_schemas.common import CompressedTensorModel, PauliLindbladMapModel
    from samplomatic.ssv import SSV

    if item.samplex.ssv > SSV:
        raise InputError(
            f"executor item {index}: samplex serialization version {item.samplex.ssv} is newer than "
            f"this server's samplomatic reads (up to {SSV}); upgrade samplomatic on the server"
        )
    try:
        samplex = item.samplex.to_samplex().finalize()
    except Exception as exc:  # orjson / samplomatic errors on garbage or deeply nested JSON
        raise InputError(
            f"executor item {index}: samplex_json does not load: {type(exc).__name__}: {exc}"
        ) from None
    try:
        arguments = samplex.inputs().make_broadcastable()
        for name, value in item.samplex_arguments.items():
            if isinstance(value, CompressedTensorModel):
                arguments[name] = value.to_numpy()
            elif isinstance(value, PauliLindbladMapModel):
                arguments[name] = value.to_pauli_lindblad_map()
            else:
                arguments[name] = value
    except Exception as exc:  # samplomatic ValueError naming the input and the shape it expects
        raise InputError(f"executor item {index}: bad samplex_arguments: {exc}") from None
    if not arguments.fully_bound:
        missing = sorted(
            spec.name for spec in arguments.specs if spec.name not in arguments and not spec.optional
        )
        raise InputError(f"executor item {index}: samplex_arguments lack required inputs {missing}")
    shape = tuple(item.shape)
    import numpy as np

    try:
        fits = np.broadcast_shapes(arguments.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise InputError(
            f"executor item {index}: shape {list(shape)} does not extend the arguments' shape "
            f"{list(arguments.shape)}"
        )
    return samplex, arguments
