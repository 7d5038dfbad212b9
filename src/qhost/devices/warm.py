"""Imported by each worker process at start (``DEFAULT_WARM_MODULES``): primes what a device's first job
would otherwise pay for once per process: the library versions the calibration cache is keyed on, and
the noise-building code (qiskit-aer's error classes, qiskit's channel conversions), by building the noise
of a made-up two-qubit device and throwing it away."""

from __future__ import annotations

from qhost.devices.calibration import Calibration, InstructionCal, library_versions
from qhost.devices.channels import NoiseBuilder

__all__ = ["prime"]


def prime() -> None:
    """Build both forms of noise for a synthetic two-qubit calibration (results discarded)."""
    library_versions()
    cal = Calibration(
        device="warm-up",
        num_qubits=2,
        dt=1e-9,
        basis_gates=("cx", "measure", "sx"),
        qubits=((1e-4, 8e-5, 5e9), (1e-4, 1.5e-4, 5e9)),
        readout={0: (0.01, 0.02), 1: (0.01, 0.02)},
        instructions=(
            InstructionCal("cx", True, {(0, 1): (3e-7, 1e-2)}),
            InstructionCal("sx", True, {(0,): (3.5e-8, 2e-4)}),
        ),
    )
    builder = NoiseBuilder(cal)
    builder.model([0, 1], kraus=True).to_dict(serializable=True)
    builder.model([0, 1]).to_dict(serializable=True)


prime()
