"""MQT DDSIM executor: decision-diagram simulation (``pip install -e '.[sims]'`` or ``mqt.ddsim``).

Decision diagrams stay small for structured circuits (GHZ, QFT on basis states, arithmetic), so DDSIM
often runs circuits far beyond a statevector's memory. It is noise-free; reset and mid-circuit measurement
are supported, but each qubit may be measured at most once.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar

from qhost.errors import InvalidCircuit
from qhost.executors.base import Availability
from qhost.executors.instructions import DIRECTIVES
from qhost.executors.sims.base import CountsOnlyExecutor

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["DdsimExecutor"]


@functools.cache
def _backend() -> Any:
    from mqt.ddsim import DDSIMProvider

    return DDSIMProvider().get_backend("qasm_simulator")


class DdsimExecutor(CountsOnlyExecutor):
    """MQT DDSIM's ``qasm_simulator`` (decision diagrams), noise-free.

    Options:
        max_shots (int, default 0): per-executor shots cap; 0 means the server-wide ``QHOST_MAX_SHOTS``.
    """

    name: ClassVar[str] = "ddsim"
    package: ClassVar[str] = "mqt.ddsim"

    @classmethod
    @functools.cache
    def availability(cls) -> Availability:
        """Available when ``mqt.ddsim`` imports."""
        try:
            _backend()
        except ImportError as exc:
            return Availability(False, f"needs mqt.ddsim ({exc}); install with pip install -e '.[sims]'")
        return Availability(True)

    def _run_counts(self, circuit: QuantumCircuit, shots: int, seed: int | None) -> dict[str, int]:
        from qiskit import transpile

        _check_single_measurement(circuit)
        backend = _backend()
        lowered = transpile(circuit, basis_gates=_basis(backend), optimization_level=0)
        options: dict[str, Any] = {"shots": shots}
        if seed is not None:
            options["seed_simulator"] = seed
        counts = backend.run(lowered, **options).result().get_counts()
        return _normalise(counts, circuit.num_clbits)


def _check_single_measurement(circuit: QuantumCircuit) -> None:
    """DDSIM cannot measure a qubit twice; refuse such circuits up front with the alternatives."""
    seen: set[int] = set()
    for inst in circuit.data:
        if inst.operation.name != "measure":
            continue
        qubit = circuit.find_bit(inst.qubits[0]).index
        if qubit in seen:
            raise InvalidCircuit(
                f"Executor 'ddsim' cannot measure qubit {qubit} twice; use 'stim' (Clifford) or 'aer'"
            )
        seen.add(qubit)


def _basis(backend: Any) -> list[str]:
    """DDSIM's operations that qiskit accepts as ``basis_gates`` (standard gates, measure, reset)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = set(get_standard_gate_name_mapping()) - DIRECTIVES
    return sorted(standard & set(backend.target.operation_names))


def _normalise(counts: dict[str, int], num_clbits: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in counts.items():
        bits = key.replace(" ", "").zfill(num_clbits) if num_clbits else ""
        out[bits] = out.get(bits, 0) + int(value)
    return out
