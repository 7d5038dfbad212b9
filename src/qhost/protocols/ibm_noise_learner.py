"""IBM's ``noise-learner`` program (``qiskit_ibm_runtime.noise_learner_v3.NoiseLearnerV3``): pure decoding.

The client sends ``ibm_quantum_schemas.noise_learner_v3.version_0_3.ParamsModel``: the layers to learn
(boxed instructions, one QPY circuit, base64 without compression, so bounded by the request body cap)
and the learner's options. This module checks the schema version, the QPY version and the number of
layers, and turns the model into ``(instructions, NoiseLearnerV3Options)`` with the client's own
converter, so the worker can build the learning experiments exactly as the executor noise learner does.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from qhost.errors import InputError, InvalidCircuit
from qhost.protocols.ibm_decode import Limits, _Budget, _check_qpy_version

__all__ = ["MAX_LAYERS", "NOISE_LEARNER_SCHEMA", "decode_noise_learner_params"]

NOISE_LEARNER_SCHEMA = "v0.3"
"""The noise-learner params schema this server reads (what qiskit-ibm-runtime 0.51 sends)."""
MAX_LAYERS = 64
"""Most layers one noise-learner job may learn."""


def decode_noise_learner_params(
    params: dict[str, Any], *, max_qubits: int | None = None
) -> tuple[list[Any], Any, int]:
    """``(instructions, options, width)`` of a noise-learner job, checked (``width``: qubits spanned).

    ``max_qubits``: the backend's width, checked against the QPY header before the circuit is loaded.

    Raises:
        InputError: another schema version, a malformed model, or more than ``MAX_LAYERS`` layers.
        InvalidCircuit: QPY that is broken or newer than this server's qiskit reads.
    """
    from ibm_quantum_schemas.noise_learner_v3.version_0_3 import ParamsModel
    from qiskit_ibm_runtime.noise_learner_v3.converters.version_0_3 import noise_learner_v3_inputs_from_0_3

    if params.get("schema_version") != NOISE_LEARNER_SCHEMA:
        raise InputError(
            f"Unsupported noise-learner schema_version {params.get('schema_version')!r}; "
            f"valid: ['{NOISE_LEARNER_SCHEMA}']"
        )
    instructions = params.get("instructions")
    if not isinstance(instructions, dict) or not isinstance(instructions.get("circuit_b64"), str):
        raise InputError("noise-learner params need 'instructions' with a base64 QPY 'circuit_b64'")
    try:
        raw = base64.b64decode(instructions["circuit_b64"], validate=True)
    except (binascii.Error, ValueError):
        raise InputError("Broken noise-learner instructions: not valid base64") from None
    limits = Limits() if max_qubits is None else Limits(max_qubits=max_qubits)
    _check_qpy_version(raw, _Budget(0, limits), one_circuit=True)  # declared sizes before loading
    try:
        model = ParamsModel.model_validate(params)
        circuit = model.instructions.to_quantum_circuit()
        layers, options = noise_learner_v3_inputs_from_0_3(model)
    except Exception as exc:  # pydantic ValidationError, QPY errors
        raise InvalidCircuit(f"Invalid noise-learner params: {type(exc).__name__}: {exc}") from None
    if not layers:
        raise InputError("noise-learner params hold no layers to learn")
    if len(layers) > MAX_LAYERS:
        raise InputError(f"{len(layers)} layers in one noise-learner job; the limit is {MAX_LAYERS}")
    used = [circuit.find_bit(q).index for layer in layers for q in layer.qubits]
    return layers, options, max(used, default=-1) + 1
