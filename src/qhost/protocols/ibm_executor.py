"""IBM's ``executor`` program (qiskit-ibm-runtime >= 0.50 ``executor_sampler.Sampler``): pure translation.

The client sends ``params = {"schema_version": "v2.0", "quantum_program": {...}, "options": {...}}``
(``ibm_quantum_schemas.executor.version_2_0.ParamsModel``): one QPY blob with every circuit (or, as the
schema also allows, ``circuits: {"data": ["OPENQASM 3.0; …", …]}``, each pre-scanned by
``qhost.executors.qasm_limits`` before the schema's parser reads it), and per
item either a ``circuit`` item (parameter values, shape) or a ``samplex`` item (samplomatic
randomisation: twirling, used by the executor *estimator* and by a sampler with twirling on). The
result is a ``QuantumProgramResultModel`` (v2.0) JSON whose ``passthrough_data`` and
``semantic_role`` echo the request, so the client's post-processor builds the ``PrimitiveResult``.

Supported: ``circuit`` and ``samplex`` items with ``meas_level="classified"``; samplex items are
checked and decoded by :mod:`qhost.protocols.ibm_samplex`. Untrusted input: every compressed blob
is inflated under the request's byte budget, samplex sizes are capped, and the QPY version is checked
before pydantic (whose models inflate without a cap) sees the params.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from qhost.errors import InputError, InvalidOption, QhostError
from qhost.protocols.ibm_decode import Limits, _Budget, _check_qpy_version
from qhost.protocols.ibm_samplex import (
    MAX_ITEM_ELEMENTS,
    check_circuit_item,
    check_raw_item,
    decode_samplex_item,
)

__all__ = [
    "MAX_ITEM_BINDINGS",
    "SCHEMA_VERSION",
    "check_items",
    "decode_executor_params",
    "executor_seed",
    "item_pubs",
    "program_circuits",
    "result_json",
]

MAX_ITEM_BINDINGS = MAX_ITEM_ELEMENTS
"""Most parameter sets (bound circuits) one executor item may declare (checked on the raw JSON)."""
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
    if isinstance(circuits, dict) and "data" in circuits and "b64_data" not in circuits:
        _check_qasm_programs(circuits["data"], budget)
    elif not isinstance(circuits, dict) or "b64_data" not in circuits:
        raise InputError(
            "executor quantum_program.circuits must carry compressed QPY ('b64_data') or a list of "
            "OpenQASM 3 programs ('data')"
        )
    else:
        qpy = _inflate_b64(circuits["b64_data"], budget, "quantum_program.circuits QPY")
        _check_qpy_version(qpy, budget)  # every circuit's declared sizes, before pydantic loads them
    items = program.get("items") or []
    if not isinstance(items, list):
        raise InputError("executor quantum_program.items must be a list")
    for index, item in enumerate(items):
        kind = item.get("item_type") if isinstance(item, dict) else type(item).__name__
        if kind == "samplex":
            check_raw_item(item, index, program.get("shots"))
            for name, value in item["samplex_arguments"].items():
                if isinstance(value, dict) and "data" in value:
                    _inflate_b64(value["data"], budget, f"item {index} samplex argument {name!r}")
            continue
        if kind != "circuit":
            raise InvalidOption(f"executor item {index} is a {kind!r} item; valid: ['circuit', 'samplex']")
        check_circuit_item(item, index, program.get("shots"))
        _inflate_b64(item["circuit_arguments"].get("data"), budget, f"item {index} circuit_arguments")


def _check_qasm_programs(programs: object, budget: _Budget) -> None:
    """OpenQASM 3 circuits (``OpenQasm3DataModel``): counted, and each one's declared sizes pre-scanned."""
    from qhost.executors.qasm_limits import check_qasm

    if not isinstance(programs, list) or not all(isinstance(text, str) for text in programs):
        raise InputError("executor quantum_program.circuits.data must be a list of OpenQASM 3 strings")
    limits = budget.limits
    if len(programs) > limits.max_pubs:
        raise InputError(f"{len(programs)} circuits in one executor program; the limit is {limits.max_pubs}")
    for text in programs:
        sizes = check_qasm(text, limits.max_qubits, target=limits.backend)
        budget.declare(sizes.qubits + sizes.clbits)


def decode_executor_params(params: dict[str, Any], limits: Limits | None = None) -> Any:
    """Validate executor params safely; returns the ``ParamsModel`` (v2.0)."""
    from ibm_quantum_schemas.executor.version_2_0.models import ParamsModel

    limits = limits or Limits()
    if params.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            f"Unsupported executor schema_version {params.get('schema_version')!r}; "
            f"valid: ['{SCHEMA_VERSION}']"
        )
    _precheck(params, _Budget(limits.max_decompressed_bytes, limits))
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


def program_circuits(model: Any) -> list[Any]:
    """The program's circuits, one per item (QPY or OpenQASM 3 decoded)."""
    program = model.quantum_program
    try:
        circuits = program.circuits.to_python()
    except Exception as exc:  # corrupt QPY, or OpenQASM 3 the parser refuses, inside a well-formed model
        what = "QPY" if hasattr(program.circuits, "b64_data") else "OpenQASM 3"
        raise InputError(f"Broken executor {what}: {type(exc).__name__}: {exc}") from None
    return [
        circuits[i] if len(circuits) == len(program.items) else circuits[0] for i in range(len(program.items))
    ]


def circuit_item_pub(model: Any, index: int, circuit: Any) -> Any:
    """The ``SamplerPub`` of circuit item ``index``, parameter values broadcast to the item's shape."""
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    item = model.quantum_program.items[index]
    values = item.circuit_arguments.to_numpy()
    try:
        shape = np.broadcast_shapes(values.shape[:-1], tuple(item.shape)) + values.shape[-1:]
        values = np.broadcast_to(values, shape)
        return SamplerPub.coerce((circuit, values, model.quantum_program.shots))
    except QhostError:
        raise
    except Exception as exc:  # broadcasting / binding errors are the request's fault
        raise InputError(f"executor item {index}: {exc}") from None


def item_pubs(model: Any) -> list[Any]:
    """One ``SamplerPub`` per circuit item (samplex items are skipped)."""
    circuits = program_circuits(model)
    return [
        circuit_item_pub(model, index, circuits[index])
        for index, item in enumerate(model.quantum_program.items)
        if item.item_type == "circuit"
    ]


def check_items(model: Any) -> list[Any]:
    """Decode every item as the worker will (samplex JSON and arguments too); returns the circuits.

    Raises:
        InputError: an item's circuit arguments, samplex or samplex arguments do not decode or fit.
    """
    circuits = program_circuits(model)
    for index, item in enumerate(model.quantum_program.items):
        if item.item_type == "circuit":
            circuit_item_pub(model, index, circuits[index])
        else:
            samplex, _ = decode_samplex_item(item, index)
            params = samplex.outputs().get_specs("parameter_values")
            wanted = params[0].shape[-1] if params else 0
            if wanted != circuits[index].num_parameters:
                raise InputError(
                    f"executor item {index}: the samplex binds {wanted} parameters but its circuit has "
                    f"{circuits[index].num_parameters}"
                )
    return circuits


def result_json(
    model: Any, item_data: list[dict[str, np.ndarray]], spans: list[tuple[Any, Any, tuple[int, ...]]]
) -> str:
    """A ``QuantumProgramResultModel`` (v2.0) JSON from each item's named arrays (bits, samplex outputs).

    ``spans`` holds each item's ``(start, stop, shape)``: when it ran and its element shape.
    """
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
    for arrays in item_data:
        fields = {
            name: CompressedTensorModel.from_numpy(np.ascontiguousarray(a)) for name, a in arrays.items()
        }
        data.append(QuantumProgramResultItemModel(results=fields, metadata=ItemMetadataModel()))
    timing = []
    program = model.quantum_program
    for index, (start, stop, shape) in enumerate(spans):
        size = int(np.prod(shape, dtype=int))
        part = ChunkPart(
            idx_item=index, size=size, permutation=list(range(len(shape))), element_range=(0, size, 1)
        )
        timing.append(ChunkSpan(start=start, stop=stop, parts=[part]))
    result = QuantumProgramResultModel(
        data=data,
        metadata=MetadataModel(chunk_timing=timing),
        passthrough_data=program.passthrough_data,
        semantic_role=program.semantic_role,
    )
    return result.model_dump_json()
