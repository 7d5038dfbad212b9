"""``QiskitBackend``: any Qiskit ``BackendV2`` as a Qrisp ``run_func`` (and as an in-process backend)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qhost.client.virtual import VirtualBackend
from qhost.errors import ExecutorError, InvalidCircuit, InvalidOption

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["DEFAULT_SHOTS", "QiskitBackend"]

DEFAULT_SHOTS = 1000
"""Shots when the caller passes ``shots=None`` (Qrisp's QiskitBackend default)."""


class QiskitBackend(VirtualBackend):
    """Run Qrisp's QASM on a Qiskit backend: parse, ``transpile(backend)``, ``backend.run``, counts.

    The instance is itself a ``run_func(qasm, shots, token)``, so it can be served:
    ``BackendServer(QiskitBackend(FakeManilaV2()))``.

    Args:
        backend: a Qiskit ``BackendV2`` (default: ``qiskit_aer.AerSimulator()``).
    """

    def __init__(self, backend: Any = None) -> None:
        if backend is None:
            from qiskit_aer import AerSimulator

            backend = AerSimulator()
        self.backend = backend
        super().__init__(self)

    def __call__(self, qasm: str, shots: int | None = None, token: str = "") -> dict[str, int]:
        """Qrisp's ``run_func`` contract; ``token`` is ignored."""
        if shots is not None and (isinstance(shots, bool) or not isinstance(shots, int) or shots <= 0):
            raise InvalidOption(f"shots must be a positive integer or None, got {shots!r}")
        circuit = _parse(qasm)
        from qiskit import transpile

        try:
            compiled = transpile(circuit, self.backend)
            result = self.backend.run(compiled, shots=shots or DEFAULT_SHOTS).result()
        except Exception as exc:
            raise ExecutorError(f"{type(exc).__name__} on {_name(self.backend)}: {exc}") from exc
        return {key.replace(" ", ""): int(n) for key, n in result.get_counts().items()}


def _parse(qasm: str) -> QuantumCircuit:
    from qiskit import QuantumCircuit

    try:
        if qasm.lstrip().startswith("OPENQASM 3"):
            from qiskit import qasm3

            return qasm3.loads(qasm)
        return QuantumCircuit.from_qasm_str(qasm)
    except Exception as exc:
        raise InvalidCircuit(f"Cannot parse the OpenQASM program: {exc}") from exc


def _name(backend: Any) -> str:
    return str(getattr(backend, "name", type(backend).__name__))
