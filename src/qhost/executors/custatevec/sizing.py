"""Sizing a device state vector before anything is allocated: the bytes it needs, the refusal when too big."""

from __future__ import annotations

from qhost.errors import CircuitTooLarge

__all__ = ["check_state_fits", "state_bytes"]


def state_bytes(num_qubits: int, precision: str = "double") -> int:
    """Bytes of a ``num_qubits`` state vector: 16·2^n (complex128) or 8·2^n (complex64)."""
    return (16 if precision == "double" else 8) << max(num_qubits, 1)


def check_state_fits(num_qubits: int, precision: str, limit_bytes: int, device: int = 0) -> None:
    """Refuse up front a state that does not fit ``limit_bytes`` of free device memory.

    Raises:
        CircuitTooLarge: the message names qubits, precision, bytes needed and the limit.
    """
    need = state_bytes(num_qubits, precision)
    if need > limit_bytes:
        dtype = "complex128" if precision == "double" else "complex64"
        hint = (
            "precision='single' halves it, or use fewer qubits"
            if precision == "double"
            else "use fewer qubits"
        )
        raise CircuitTooLarge(
            f"{num_qubits} qubits in {dtype} need {need:,} bytes ({need / 2**30:.2f} GiB) of GPU memory, "
            f"over the limit of {limit_bytes:,} bytes ({limit_bytes / 2**30:.2f} GiB) free on CUDA device "
            f"{device}; {hint}"
        )
