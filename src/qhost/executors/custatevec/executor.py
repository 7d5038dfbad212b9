"""The cuStateVec executor (NVIDIA GPU): counts, SamplerV2 and EstimatorV2 on a device state vector.

Built on cuquantum-python 26.x's low-level bindings (``cuquantum.bindings.custatevec``; the old
``cuquantum.custatevec`` module no longer exists) and CuPy. Nothing GPU-side is imported at module
import: ``import qhost.executors.custatevec.executor`` works without the ``gpu`` extra, and
:meth:`CuStateVecExecutor.availability` says why the executor cannot run.

Pipeline per circuit: :mod:`~qhost.executors.statevector.lowering` (to
:mod:`~qhost.executors.statevector.ops`, once; parameters stay symbolic, matrices bound per parameter set,
:mod:`~qhost.executors.statevector.fusion` planned once) → :mod:`~qhost.executors.statevector.trajectories`
(noise patterns, shot branching at mid-circuit measurement / reset / Kraus, readout errors) →
:class:`DeviceState`
(the cuStateVec calls: ``apply_matrix``, ``apply_generalized_permutation_matrix`` for diagonal and
permutation gates, ``abs2sum_array`` + ``collapse_by_bit_string``, ``compute_expectation``, the
sampler, ``compute_expectations_on_pauli_basis``). One cuStateVec handle per process and device.

Options (``CuStateVecExecutor(**options)``):

- ``precision`` (str, ``"double"``): ``"double"`` = complex128, ``"single"`` = complex64.
- ``device`` (int | None, None): CUDA device ordinal; None = ``QHOST_GPU_DEVICE``, else
  ``QRS_GPU_DEVICE``, else 0.
- ``fusion_max_qubits`` (int, 4): widest fused gate (0 or 1 disables fusion).
- ``seed_simulator`` (int | None, None): default seed when a call gives none.
- ``noise`` (bool, True): apply the fake device's noise model (trimmed to the active qubits).
- ``max_memory_mb`` (int, 0): cap on the state's device memory; 0 = the device's free memory.
- ``optimization_level`` (int, 1): transpiler level for counts circuits on fake devices.
- ``estimator_trajectories`` (int, 1000): trajectories per parameter set for noisy or
  mid-circuit-measuring EstimatorV2 circuits.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from qhost.errors import (
    CircuitTooLarge,
    ConfigurationError,
    ExecutorError,
    ExecutorUnavailable,
    InvalidCircuit,
    InvalidOption,
    QhostError,
)
from qhost.executors.base import Availability, Executor, Option
from qhost.executors.custatevec.sizing import check_state_fits, state_bytes
from qhost.executors.limits import check_shots
from qhost.executors.statevector.pubs import estimate_pub, estimator_qubits, run_counts, sample_pub

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.primitives import PrimitiveResult
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.primitives.containers.sampler_pub import SamplerPub
    from qiskit_aer.noise import NoiseModel

    from qhost.devices import Device
    from qhost.executors.custatevec.state import DeviceState

__all__ = [
    "INSTALL_HINT",
    "CuStateVecExecutor",
    "check_state_fits",
    "gpu_device_ordinal",
    "map_gpu_errors",
    "state_bytes",
]

INSTALL_HINT = (
    "cuStateVec executor requires cuquantum-python and CuPy with an NVIDIA GPU; "
    "install with pip install -e '.[gpu]'"
)
_PROBE = """
import json, sys
try:
    import cupy
    n = cupy.cuda.runtime.getDeviceCount()
    d = int(sys.argv[1])
    if n == 0 or d >= n:
        reason = f"no CUDA device found (device {d} requested, {n} present)"
        print(json.dumps({"ok": False, "reason": reason}))
        sys.exit(0)
    cupy.cuda.Device(d).use()
    from cuquantum.bindings import custatevec as cusv
    h = cusv.create(); cusv.destroy(h)
    print(json.dumps({"ok": True, "reason": cupy.cuda.runtime.getDeviceProperties(d)["name"].decode()}))
except Exception as exc:
    print(json.dumps({"ok": False, "reason": f"no CUDA device found ({type(exc).__name__}: {exc})"}))
"""


def gpu_device_ordinal(option: int | None = None) -> int:
    """The CUDA device to use: the ``device`` option, else ``QHOST_GPU_DEVICE``, ``QRS_GPU_DEVICE``, 0."""
    if option is not None:
        return int(option)
    from qhost.config import from_environment

    try:
        return int(from_environment("gpu_device"))
    except ConfigurationError as exc:
        message = f"QHOST_GPU_DEVICE must be a CUDA device ordinal (0, 1, …); {exc.message}"
        raise InvalidOption(message) from None


class map_gpu_errors:  # noqa: N801 - used like a function: ``with map_gpu_errors():``
    """Translate cuStateVec / CuPy / CUDA exceptions into qhost errors (the one place it happens)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> Literal[False]:
        if exc is None or isinstance(exc, QhostError) or not isinstance(exc, Exception):
            return False
        text = f"{type(exc).__name__}: {exc}"
        if "OutOfMemory" in type(exc).__name__ or "out of memory" in str(exc).lower():
            raise CircuitTooLarge(f"GPU out of memory: {text}") from exc
        raise ExecutorError(f"cuStateVec failed: {text}") from exc


@functools.cache
def _probe(device: int) -> Availability:
    if importlib.util.find_spec("cupy") is None or importlib.util.find_spec("cuquantum") is None:
        return Availability(False, INSTALL_HINT)
    try:  # a child process, so the probing process never initialises CUDA (workers may fork)
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, str(device)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        answer = json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, OSError, ValueError, IndexError) as exc:
        return Availability(False, f"no CUDA device found (probe failed: {type(exc).__name__}: {exc})")
    return Availability(bool(answer["ok"]), "" if answer["ok"] else str(answer["reason"]))


class CuStateVecExecutor(Executor):
    """cuStateVec on an NVIDIA GPU; see the module docstring for the options."""

    name: ClassVar[str] = "custatevec"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "precision": Option(str, "double", "'double' (complex128) or 'single' (complex64)"),
        "device": Option(int, None, "CUDA device ordinal; None = QHOST_GPU_DEVICE, QRS_GPU_DEVICE or 0"),
        "fusion_max_qubits": Option(int, 4, "widest fused gate; 0 or 1 disables fusion"),
        "seed_simulator": Option(int, None, "default seed when a call gives none"),
        "noise": Option(bool, True, "apply the fake device's noise model (trimmed to the active qubits)"),
        "max_memory_mb": Option(int, 0, "state memory cap in MiB; 0 = the device's free memory"),
        "optimization_level": Option(int, 1, "transpiler level for counts circuits on fake devices"),
        "estimator_trajectories": Option(
            int, 1000, "trajectories per parameter set for noisy estimator PUBs"
        ),
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if self.options["precision"] not in ("double", "single"):
            raise InvalidOption(
                f"Invalid precision {self.options['precision']!r}; valid: ['double', 'single']"
            )
        if self.options["estimator_trajectories"] < 1:
            raise InvalidOption("estimator_trajectories must be a positive integer")
        self.device_ordinal = gpu_device_ordinal(self.options["device"])

    @classmethod
    def availability(cls) -> Availability:
        """Available when cupy + cuquantum import and a CUDA device answers (probed once, in a child)."""
        try:
            device = gpu_device_ordinal()
        except InvalidOption as exc:
            return Availability(False, exc.message)
        return _probe(device)

    # ----------------------------------------------------------------- plumbing
    def _make_state(self, num_qubits: int) -> DeviceState:
        """A zeroed device state (handle and stream reused per process); clear errors without a GPU."""
        from qhost.executors.custatevec.state import DeviceState, _Context

        try:
            ctx = _Context.get(self.device_ordinal)
        except ImportError:
            raise ExecutorUnavailable(f"Executor 'custatevec' is unavailable: {INSTALL_HINT}") from None
        except Exception as exc:  # CUDA driver / device errors while creating the handle
            raise ExecutorUnavailable(
                f"Executor 'custatevec' is unavailable: no CUDA device found or usable "
                f"(device {self.device_ordinal}: {type(exc).__name__}: {exc})"
            ) from exc
        with map_gpu_errors():
            limit = int(self.options["max_memory_mb"]) << 20
            return DeviceState(ctx, num_qubits, self.options["precision"], limit)

    def _rng(self, seed: int | None) -> np.random.Generator:
        return np.random.default_rng(self.options["seed_simulator"] if seed is None else seed)

    def _noise(
        self, device: Device, active: Sequence[int], user: NoiseModel | None, circuit: QuantumCircuit
    ) -> NoiseModel | None:
        """The user's model trimmed to ``active``, else the device's noise for ``active`` and the gates
        ``circuit`` uses (built for those only, see :mod:`qhost.devices.channels`)."""
        if user is not None:
            from qhost.devices.noise import trim_noise_model

            return trim_noise_model(user, active)
        if not self.options["noise"] or device.is_ideal:
            return None
        from qhost.executors.circuits import gate_names

        return device.noise_model(active, gates=gate_names([circuit]))

    def _check_variants(self, circuits: Sequence[QuantumCircuit], device: Device, user: Any) -> None:
        """Refuse named variants (``measure_2``, ``reset_2``, ``xslow``) under device noise: this executor's
        trajectories do not give them their own calibrated errors yet (``aer`` does)."""
        from qhost.executors.variants import has_variants, variant_names

        if user is not None or not self.options["noise"] or device.is_ideal or not has_variants(circuits):
            return
        names = ", ".join(variant_names(circuits))
        raise InvalidCircuit(
            f"{device.name}@{self.name}: {names} cannot be simulated faithfully here: the GPU executor does "
            f"not give named variants their own calibrated errors; run it on '{device.name}@aer', or on "
            f"'ideal@{self.name}' without noise"
        )

    # ----------------------------------------------------------------- the three entry points
    def counts(
        self, circuit: QuantumCircuit, shots: int, device: Device, *, seed: int | None = None
    ) -> dict[str, int]:
        """Run one circuit (transpiled to a fake device's target first) and return counts."""
        from qhost.executors.aer.executor import AerExecutor

        shots = check_shots(shots)
        self._check_variants([circuit], device, None)
        prepared = AerExecutor(optimization_level=self.options["optimization_level"]).prepare(
            circuit, device, device_noise=False
        )
        noise = self._noise(device, prepared.active, None, prepared.circuit)
        with map_gpu_errors():
            return run_counts(
                prepared.circuit,
                shots,
                noise,
                self._make_state,
                self._rng(seed),
                self.options["fusion_max_qubits"],
            )

    def sample(
        self,
        pubs: Sequence[SamplerPub],
        device: Device,
        *,
        seed: int | None = None,
        noise_model: NoiseModel | None = None,
    ) -> PrimitiveResult:
        """SamplerV2 PUBs: one ``BitArray`` per classical register, shaped like the PUB."""
        from qhost.executors.circuits import active_qubits

        rng, fused = self._rng(seed), self.options["fusion_max_qubits"]
        return self._per_pub(
            pubs,
            device,
            noise_model,
            lambda pub: active_qubits(pub.circuit),
            lambda pub, noise: sample_pub(pub, noise, self._make_state, rng, fused),
        )

    def estimate(
        self,
        pubs: Sequence[EstimatorPub],
        device: Device,
        *,
        seed: int | None = None,
        noise_model: NoiseModel | None = None,
    ) -> PrimitiveResult:
        """EstimatorV2 PUBs: exact expectation values (noise-free), trajectory means with noise."""
        rng, fused = self._rng(seed), self.options["fusion_max_qubits"]
        trajectories = self.options["estimator_trajectories"]
        return self._per_pub(
            pubs,
            device,
            noise_model,
            estimator_qubits,
            lambda pub, noise: estimate_pub(pub, noise, self._make_state, rng, fused, trajectories),
        )

    def _per_pub(
        self,
        pubs: Sequence[Any],
        device: Device,
        noise_model: NoiseModel | None,
        noise_qubits: Callable[[Any], Sequence[int]],
        run: Callable[[Any, NoiseModel | None], Any],
    ) -> PrimitiveResult:
        """Run each PUB with the noise of the qubits ``noise_qubits(pub)`` names, GPU errors mapped."""
        from qiskit.primitives import PrimitiveResult

        self._check_variants([pub.circuit for pub in pubs], device, noise_model)
        results = []
        for pub in pubs:
            _check_device_size(pub.circuit, device)
            pub = _lowered_pub(pub, f"{device.name}@{self.name}")
            noise = self._noise(device, noise_qubits(pub), noise_model, pub.circuit)
            with map_gpu_errors():
                results.append(run(pub, noise))
        return PrimitiveResult(results, metadata={"version": 2})


def _lowered_pub(pub: Any, where: str) -> Any:
    """``pub`` with its named variants lowered exactly (a noise-free run, or a user's noise model)."""
    from qhost.executors.variants import lower_variants

    low = lower_variants(pub.circuit, None, where)
    return pub if low.circuit is pub.circuit else type(pub)(low.circuit, *_pub_rest(pub), validate=False)


def _pub_rest(pub: Any) -> tuple[Any, ...]:
    if hasattr(pub, "observables"):
        return (pub.observables, pub.parameter_values, pub.precision)
    return (pub.parameter_values, pub.shots)


def _check_device_size(circuit: QuantumCircuit, device: Device) -> None:
    if not device.is_ideal and circuit.num_qubits > device.num_qubits:
        raise CircuitTooLarge(
            f"Circuit has {circuit.num_qubits} qubits but device {device.name!r} has {device.num_qubits}"
        )
