"""IBM's ``executor`` program (qiskit-ibm-runtime >= 0.50 ``executor_sampler.Sampler``): pure translation.

The client sends ``params = {"schema_version": "v2.0", "quantum_program": {...}, "options": {...}}``
(``ibm_quantum_schemas.executor.version_2_0.ParamsModel``): one QPY blob with every circuit, and per
item either a ``circuit`` item (parameter values, shape) or a ``samplex`` item (samplomatic
randomisation: twirling, used by the executor *estimator* and by a sampler with twirling on). The
result is a ``QuantumProgramResultModel`` (v2.0) JSON whose ``passthrough_data`` and
``semantic_role`` echo the request, so the client's post-processor builds the ``PrimitiveResult``.

Supported: ``circuit`` items with ``meas_level="classified"`` (the executor Sampler with its default
options, twirling off). ``samplex`` items are refused at submit with a message saying so.
Untrusted input: every compressed blob is inflated under the request's byte budget and the QPY
version is checked before pydantic (whose models inflate without a cap) sees the params.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from qhost.errors import CircuitTooLarge, InputError, InvalidOption, QhostError
from qhost.protocols.ibm_runtime import Limits, _Budget, _check_qpy_version

__all__ = [
    "MAX_ITEM_BINDINGS",
    "SCHEMA_VERSION",
    "decode_executor_params",
    "executor_seed",
    "item_pubs",
    "result_json",
]

SCHEMA_VERSION = "v2.0"
"""The executor params schema this server reads (what qiskit-ibm-runtime 0.51 sends)."""


def _inflate_b64(text: object, budget: _Budget, what: str) -> bytes:
    if not isinstance(text, str):
        raise InputError(f"{what} must be a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"Broken {what}: not valid base64") from None
    return budget.inflate(raw, what)


def _precheck(params: dict[str, Any], budget: _Budget) -> None:
    program = params.get("quantum_program")
    if not isinstance(program, dict):
        raise InputError("executor params need a 'quantum_program' object")
    circuits = program.get("circuits") or {}
    if not isinstance(circuits, dict) or "b64_data" not in circuits:
        raise InputError("executor quantum_program.circuits must carry compressed QPY ('b64_data')")
    _check_qpy_version(_inflate_b64(circuits["b64_data"], budget, "quantum_program.circuits QPY"))
    for index, item in enumerate(program.get("items") or []):
        if not isinstance(item, dict) or item.get("item_type") != "circuit":
            kind = item.get("item_type") if isinstance(item, dict) else type(item).__name__
            raise InvalidOption(
                f"executor item {index} is a {kind!r} item; this server runs only 'circuit' items "
                "(samplomatic samplex items, i.e. twirling, are not simulated): use the executor Sampler "
                "with twirling off, or qiskit_ibm_runtime.EstimatorV2 instead of the executor Estimator"
            )
        arguments = item.get("circuit_arguments") or {}
        _inflate_b64(arguments.get("data"), budget, f"item {index} circuit_arguments")


def decode_executor_params(params: dict[str, Any], limits: Limits | None = None) -> Any:
    """Validate executor params safely; returns the ``ParamsModel`` (v2.0)."""
    from ibm_quantum_schemas.executor.version_2_0.models import ParamsModel

    limits = limits or Limits()
    if params.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            f"Unsupported executor schema_version {params.get('schema_version')!r}; "
            f"valid: ['{SCHEMA_VERSION}']"
        )
    _precheck(params, _Budget(limits.max_decompressed_bytes))
    try:
        model = ParamsModel.model_validate(params)
    except Exception as exc:  # pydantic ValidationError, QPY errors from its validators
        raise InputError(f"Invalid executor params: {type(exc).__name__}: {exc}") from None
    program = model.quantum_program
    if program.meas_level != "classified":
        raise InvalidOption(
            f"executor meas_level {program.meas_level!r} is not simulated; valid: ['classified']"
        )
    if program.shots > limits.max_shots:
        raise InvalidOption(f"executor shots {program.shots} exceed the limit of {limits.max_shots}")
    return model


def executor_seed(model: Any) -> int | None:
    """``simulator.seed_simulator`` of the client's Sampler options (echoed in ``passthrough_data``)."""
    data = model.quantum_program.passthrough_data
    options = ((data or {}).get("post_processor") or {}).get("options") if isinstance(data, dict) else None
    seed = (
        ((options or {}).get("simulator") or {}).get("seed_simulator") if isinstance(options, dict) else None
    )
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def item_pubs(model: Any) -> list[Any]:
    """One ``SamplerPub`` per circuit item, parameter values broadcast to the item's shape."""
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    program = model.quantum_program
    try:
        circuits = program.circuits.to_python()
    except Exception as exc:  # corrupt QPY inside a well-formed model
        raise InputError(f"Broken executor QPY: {type(exc).__name__}: {exc}") from None
    pubs = []
    for index, item in enumerate(program.items):
        circuit = circuits[index] if len(circuits) == len(program.items) else circuits[0]
        values = item.circuit_arguments.to_numpy()
        try:
            shape = np.broadcast_shapes(values.shape[:-1], tuple(item.shape)) + values.shape[-1:]
            _check_bindings(index, shape[:-1])
            values = np.broadcast_to(values, shape)
            pubs.append(SamplerPub.coerce((circuit, values, program.shots)))
        except QhostError:
            raise
        except Exception as exc:  # broadcasting / binding errors are the request's fault
            raise InputError(f"executor item {index}: {exc}") from None
    return pubs


MAX_ITEM_BINDINGS = 100_000
"""Most parameter sets (the product of an item's ``shape``) one executor item may declare."""


def _check_bindings(index: int, shape: tuple[int, ...]) -> None:
    """Refuse an item whose declared ``shape`` asks for more parameter sets than ``MAX_ITEM_BINDINGS``."""
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if count > MAX_ITEM_BINDINGS:
        raise CircuitTooLarge(
            f"executor item {index} declares shape {list(shape)}: {count:,} parameter sets, over the limit "
            f"of {MAX_ITEM_BINDINGS:,} per item"
        )


def result_json(model: Any, pub_results: list[Any], spans: list[tuple[Any, Any]]) -> str:
    """A ``QuantumProgramResultModel`` (v2.0) JSON from sampler pub results (one per item)."""
    from ibm_quantum_schemas.common import CompressedTensorModel
    from ibm_quantum_schemas.executor.version_2_0.models import (
        ChunkPart,
        ChunkSpan,
        ItemMetadataModel,
        MetadataModel,
        QuantumProgramResultItemModel,
        QuantumProgramResultModel,
    )

    data = []
    for pub_result in pub_results:
        fields = {
            name: CompressedTensorModel.from_numpy(getattr(pub_result.data, name).to_bool_array("little"))
            for name in pub_result.data
        }
        data.append(QuantumProgramResultItemModel(results=fields, metadata=ItemMetadataModel()))
    timing = []
    for index, ((start, stop), pub_result) in enumerate(zip(spans, pub_results, strict=True)):
        shape = tuple(pub_result.data.shape)
        size = int(np.prod(shape, dtype=int))
        part = ChunkPart(
            idx_item=index, size=size, permutation=list(range(len(shape))), element_range=(0, size, 1)
        )
        timing.append(ChunkSpan(start=start, stop=stop, parts=[part]))
    program = model.quantum_program
    result = QuantumProgramResultModel(
        data=data,
        metadata=MetadataModel(chunk_timing=timing),
        passthrough_data=program.passthrough_data,
        semantic_role=program.semantic_role,
    )
    return result.model_dump_json()
