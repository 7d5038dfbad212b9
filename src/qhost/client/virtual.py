"""``VirtualBackend``: a ``run_func`` used in-process behind the BackendClient's ``run`` (like Qrisp's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qhost.client.backend_client import to_qasm

if TYPE_CHECKING:
    from qhost.executors.base import RunFunc

__all__ = ["VirtualBackend"]


class VirtualBackend:
    """Call ``run_func(qasm, shots, token)`` in this process; no server, no engine.

    Args:
        run_func: Qrisp's server-side contract, ``run_func(qasm, shots, token) -> counts``.

    Example:
        >>> backend = VirtualBackend(lambda qasm, shots, token: {"0": shots})
        >>> backend.run(qc, 10)
        {'0': 10}
    """

    def __init__(self, run_func: RunFunc) -> None:
        self.run_func = run_func

    def run(self, qc: object, shots: int | None = None, token: str = "") -> dict[str, int | float]:
        """Counts of one circuit (a QuantumCircuit, QASM text, or anything with ``.qasm()``)."""
        counts = self.run_func(to_qasm(qc), shots, token)
        return {str(k).replace(" ", ""): v for k, v in counts.items()}
