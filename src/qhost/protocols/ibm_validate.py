"""Submit-time validation of an IBM ``POST /jobs`` for every program: decode as the worker will, check
against the device, raise ``qhost.errors`` (the door answers 400/404/413).

Pure: takes the parsed request, the device's width and transpiler target (``None`` for ideal devices)
and the decoding limits; no Flask, no engine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from qhost.errors import InputError, InvalidOption
from qhost.protocols import ibm_runtime as ibm

__all__ = ["validate_request"]


@dataclass(frozen=True)
class _Circuit:
    """An executor item's circuit in the shape ``validate_pubs`` reads (``.circuit``)."""

    circuit: Any


def _noise_learner(req: ibm.JobRequest, backend: str, num_qubits: int, has_device: bool) -> None:
    from qhost.protocols.ibm_noise_learner import decode_noise_learner_params

    _, _, width = decode_noise_learner_params(req.params, max_qubits=num_qubits)
    if not has_device:
        raise InvalidOption(
            f"Noise learning needs a device with a coupling map and noise; {backend} is ideal: "
            "use a fake device such as 'fake_manila@aer'"
        )
    if width > num_qubits:
        raise InputError(f"noise-learner layers use qubit {width - 1}; backend {backend} has {num_qubits}")


def validate_request(
    req: ibm.JobRequest, backend: str, num_qubits: int, target: Any, limits: ibm.Limits
) -> None:
    """Decode ``req.params`` for its program and check it fits ``backend`` (width, ISA when ``target``).

    Every QPY circuit's declared width is checked against ``num_qubits`` before it is loaded.
    """
    limits = replace(limits, max_qubits=num_qubits)
    if req.program == "noise-learner":
        _noise_learner(req, backend, num_qubits, target is not None)
        return
    pubs: list[Any]
    if req.program == "executor":
        from qhost.protocols.ibm_executor import check_items, decode_executor_params

        pubs = [_Circuit(c) for c in check_items(decode_executor_params(req.params, limits))]
    else:
        decoded = ibm.decode_params(req.params, limits)
        pubs = ibm.coerce_pubs(req.program, decoded, limits)
        ibm.simulator_options(decoded)
    ibm.validate_pubs(pubs, backend, num_qubits, target)
