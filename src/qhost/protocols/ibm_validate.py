"""Submit-time validation of an IBM ``POST /jobs`` for every program: decode as the worker will, check
against the device, raise ``qhost.errors`` (the door answers 400/404/413).

``validate_request`` also returns what the console's job page shows of the inputs (circuits in figures,
options), computed from the circuits decoded here, so the web process never decodes them again.

Pure: takes the parsed request, the device's width and transpiler target (``None`` for ideal devices)
and the decoding limits; no Flask, no engine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from qhost.errors import InputError, InvalidOption
from qhost.protocols import ibm_runtime as ibm

__all__ = ["MAX_SUMMARY_ROWS", "validate_request"]

MAX_SUMMARY_ROWS = 50
"""Most circuits described one by one in a job's input summary (the rest are only counted)."""


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
) -> dict[str, Any]:
    """Decode ``req.params`` for its program and check it fits ``backend`` (width, ISA when ``target``).

    Every QPY circuit's declared width is checked against ``num_qubits`` before it is loaded. Returns
    the input summary (``{"circuits": [rows], "count", "options", "not_applied"}``).
    """
    limits = replace(limits, max_qubits=num_qubits, backend=backend)
    if req.program == "noise-learner":
        _noise_learner(req, backend, num_qubits, target is not None)
        return {}
    pubs: list[Any]
    if req.program == "executor":
        from qhost.protocols.ibm_executor import check_items, decode_executor_params

        model = decode_executor_params(req.params, limits)
        pubs = [_Circuit(c) for c in check_items(model)]
        ibm.validate_pubs(pubs, backend, num_qubits, target)
        shots = model.quantum_program.shots
        return _summary([_row(p.circuit, shots=shots) for p in pubs[:MAX_SUMMARY_ROWS]], len(pubs))
    decoded = ibm.decode_params(req.params, limits)
    pubs = ibm.coerce_pubs(req.program, decoded, limits)
    ibm.simulator_options(decoded)
    ibm.validate_pubs(pubs, backend, num_qubits, target)
    rows = [_pub_row(req.program, pub) for pub in pubs[:MAX_SUMMARY_ROWS]]
    return _summary(rows, len(pubs), _flatten(decoded.get("options") or {}), ibm.not_applied_options(decoded))


def _row(circuit: Any, **extra: Any) -> dict[str, Any]:
    return {
        "qubits": circuit.num_qubits,
        "active": _active(circuit),
        "depth": circuit.depth(),
        "gates": circuit.size(),
        **extra,
    }


def _active(circuit: Any) -> int:
    """Qubits an instruction other than a barrier touches (what a simulation's state holds)."""
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    return len({index[q] for inst in circuit.data if inst.operation.name != "barrier" for q in inst.qubits})


def _pub_row(program: str, pub: Any) -> dict[str, Any]:
    extra = {"shots": pub.shots} if program == "sampler" else {"precision": pub.precision}
    return _row(pub.circuit, shape=list(pub.shape), **extra)


def _summary(
    rows: list[dict[str, Any]],
    count: int,
    options: dict[str, Any] | None = None,
    not_applied: list[str] | None = None,
) -> dict[str, Any]:
    return {"circuits": rows, "count": count, "options": options or {}, "not_applied": not_applied or []}


def _flatten(options: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"simulator": {"seed_simulator": 7}}`` -> ``{"simulator.seed_simulator": 7}`` (objects: type)."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, (str, int, float, bool)) or value is None:
            out[name] = value
        elif isinstance(value, list) and len(value) <= 8:
            out[name] = ", ".join(str(v) for v in value)
        else:
            out[name] = f"<{type(value).__name__}>"
    return out
