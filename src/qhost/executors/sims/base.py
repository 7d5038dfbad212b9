"""Shared base of the extra simulators (DDSIM, Qulacs, Stim) that only produce counts.

A :class:`CountsOnlyExecutor` subclass implements ``_run_counts(circuit, shots, seed)``. This base adds
what every such executor needs: the shots check, refusal of noisy devices (these simulators are
noise-free), the mapping of foreign exceptions to :mod:`qhost.errors`, SamplerV2 support built from
per-shot samples, and a clear refusal of EstimatorV2 (use an Aer executor for expectation values).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qhost.errors import ExecutorError, InvalidOption, QhostError
from qhost.executors.base import Availability, Executor, Option
from qhost.executors.circuits import counts_from_clbit_rows
from qhost.executors.errors import map_error
from qhost.executors.limits import check_shots
from qhost.executors.variants import lower_variants, variant_names

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.primitives import PrimitiveResult
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.primitives.containers.sampler_pub import SamplerPub
    from qiskit_aer.noise import NoiseModel

    from qhost.devices import Device

__all__ = ["CountsOnlyExecutor", "counts_from_clbit_rows", "map_simulator_errors"]


@contextlib.contextmanager
def map_simulator_errors(name: str) -> Iterator[None]:
    """Re-raise foreign exceptions as qhost errors (:func:`~qhost.executors.errors.map_error`).

    Qiskit's known errors keep their mapping (a ``TranspilerError`` is an ``InvalidCircuit``); anything
    else from the simulator becomes an :class:`ExecutorError` naming simulator ``name``.
    """
    try:
        yield
    except QhostError:
        raise
    except Exception as exc:  # the one place foreign simulator errors are translated
        mapped = map_error(exc)
        if type(mapped) is ExecutorError:
            mapped = ExecutorError(f"{name} failed: {type(exc).__name__}: {exc}")
        raise mapped from exc


_AS_BASES = "measure_<k>: measure, reset_<k>: reset, measure_reset: measure then reset, xslow: x"


class CountsOnlyExecutor(Executor):
    """An executor for a noise-free simulator that returns counts; SamplerV2 is derived from counts.

    Options:
        max_shots (int, default 0): per-executor shots cap; 0 means the server-wide ``QHOST_MAX_SHOTS``.
    """

    OPTIONS: ClassVar[dict[str, Option]] = {
        "max_shots": Option(int, 0, "per-executor shots cap; 0 = the server-wide QHOST_MAX_SHOTS"),
    }
    package: ClassVar[str] = ""
    NOISE_FREE_ONLY: ClassVar[bool] = True
    """The PyPI package the simulator comes from (named in messages; imported by ``availability``)."""

    @classmethod
    @functools.cache
    def availability(cls) -> Availability:
        """Available when ``package`` imports."""
        try:
            importlib.import_module(cls.package)
        except ImportError as exc:
            return Availability(False, f"needs {cls.package} ({exc}); install with pip install -e '.[sims]'")
        return Availability(True)

    def counts(
        self, circuit: QuantumCircuit, shots: int, device: Device, *, seed: int | None = None
    ) -> dict[str, int]:
        """Run one circuit on the ideal simulator and return counts (clbit 0 rightmost, no spaces).

        Raises:
            InvalidOption: bad shots, or a noisy device (these simulators are noise-free).
            InvalidCircuit: the circuit uses something this simulator cannot run.
            ExecutorError: the simulator failed.
        """
        shots = check_shots(shots, self.options["max_shots"] or None)
        self._check_device(device)
        # named variants (measure_2, reset_2, measure_reset, xslow) as their base operations: exact
        variants = variant_names([circuit])
        circuit = lower_variants(circuit, None, f"{device.name}@{self.name}").circuit
        try:
            with map_simulator_errors(self.name):
                return self._run_counts(circuit, shots, seed)
        except QhostError as exc:
            if variants:  # say which instruction of the job led there
                exc.message = f"{exc.message} (the circuit's {', '.join(variants)} ran as {_AS_BASES})"
                exc.args = (exc.message,)
            raise

    def _run_counts(self, circuit: QuantumCircuit, shots: int, seed: int | None) -> dict[str, int]:
        raise NotImplementedError

    def _check_device(self, device: Device) -> None:
        if not getattr(device, "is_ideal", True):
            raise InvalidOption(
                f"Executor {self.name!r} simulates noise-free circuits only; use 'ideal@{self.name}', "
                f"or '{device.name}@aer' for the noisy device {device.name!r}"
            )

    def sample(
        self,
        pubs: Sequence[SamplerPub],
        device: Device,
        *,
        seed: int | None = None,
        noise_model: NoiseModel | None = None,
    ) -> PrimitiveResult:
        """Run SamplerV2 PUBs by sampling each parameter binding; registers stay shot-aligned."""
        from qiskit.primitives import PrimitiveResult

        if noise_model is not None:
            raise InvalidOption(f"Executor {self.name!r} does not take a noise model; use an Aer executor")
        self._check_device(device)
        rng = np.random.default_rng(seed)
        results = [self._sample_pub(pub, device, rng) for pub in pubs]
        return PrimitiveResult(results, metadata={"version": 2, "executor": self.name})

    def _sample_pub(self, pub: SamplerPub, device: Device, rng: np.random.Generator) -> Any:
        from qiskit.primitives import SamplerPubResult
        from qiskit.primitives.containers import BitArray, DataBin

        circuit = pub.circuit
        bound = pub.parameter_values.bind_all(circuit)
        arrays: dict[str, list[BitArray]] = {creg.name: [] for creg in circuit.cregs}
        for index in np.ndindex(bound.shape):
            keys = self._shot_keys(bound[index], pub.shots, device, rng)
            for creg in circuit.cregs:
                positions = [circuit.find_bit(clbit).index for clbit in creg]
                samples = ["".join(key[-1 - p] for p in reversed(positions)) for key in keys]
                arrays[creg.name].append(BitArray.from_samples(samples, num_bits=len(positions)))
        data = {name: _stack(items, bound.shape) for name, items in arrays.items()}
        return SamplerPubResult(DataBin(**data, shape=bound.shape), metadata={"shots": pub.shots})

    def _shot_keys(
        self, circuit: QuantumCircuit, shots: int, device: Device, rng: np.random.Generator
    ) -> list[str]:
        seed = int(rng.integers(0, 2**31 - 1))
        counts = self.counts(circuit, shots, device, seed=seed)
        keys = [key for key, n in counts.items() for _ in range(n)]
        rng.shuffle(keys)
        return keys

    def estimate(
        self,
        pubs: Sequence[EstimatorPub],
        device: Device,
        *,
        seed: int | None = None,
        noise_model: NoiseModel | None = None,
    ) -> PrimitiveResult:
        """Not supported: these executors return counts only.

        Raises:
            InvalidOption: always, naming the executors that do support EstimatorV2.
        """
        raise InvalidOption(
            f"Executor {self.name!r} supports counts and SamplerV2 only; use 'aer' (or another Aer method) "
            "for EstimatorV2"
        )


def _stack(items: list[Any], shape: tuple[int, ...]) -> Any:
    from qiskit.primitives.containers import BitArray

    if not shape:
        return items[0]
    array = np.stack([item.array for item in items]).reshape(*shape, *items[0].array.shape)
    return BitArray(array, items[0].num_bits)
