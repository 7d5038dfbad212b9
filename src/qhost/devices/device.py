"""Device metadata: one fake IBM device (or ``ideal``) with its calibration, backend object and noise.

Lowest layer above :mod:`qhost.errors`: the catalog and the executors both read a :class:`Device`, and
nothing here imports them. The calibration (disk-cached per install), the fake backend object and the
noise models are built on first use and cached per process; a noise model is built for the qubits and
gates a job uses only (:mod:`qhost.devices.channels`).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from qhost.config.defaults import DEFAULT_MAX_SHOTS

if TYPE_CHECKING:
    from qiskit_aer.noise import NoiseModel
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    from qhost.devices.calibration import Calibration, IsaTarget
    from qhost.devices.channels import NoiseBuilder, VariantKey

__all__ = ["IDEAL", "NOISE_CACHE_SIZE", "Device", "fake_device_classes", "load_json"]

IDEAL = "ideal"
NOISE_CACHE_SIZE = 64


@functools.cache
def fake_device_classes() -> dict[str, type[FakeBackendV2]]:
    """Every ``FakeBackendV2`` subclass exported by ``qiskit_ibm_runtime.fake_provider``, by name."""
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    found: dict[str, type[FakeBackendV2]] = {}
    for obj in vars(fake_provider).values():
        if inspect.isclass(obj) and issubclass(obj, FakeBackendV2) and obj is not FakeBackendV2:
            name = getattr(obj, "backend_name", None)
            if isinstance(name, str) and name:
                found[name] = obj
    return dict(sorted(found.items()))


class Device:
    """Metadata of one device; the fake backend object and noise models are built lazily and cached.

    Attributes:
        name: ``"fake_manila"`` … or ``"ideal"``.
        num_qubits: qubits of the device (for ``ideal``: what a statevector fits in memory).
        is_ideal: noise-free, all-to-all, no basis restriction.
    """

    def __init__(self, name: str, num_qubits: int, backend_class: type[FakeBackendV2] | None = None) -> None:
        self.name = name
        self.num_qubits = num_qubits
        self.is_ideal = backend_class is None
        self._backend_class = backend_class
        self._backend: FakeBackendV2 | None = None
        self._calibration: Calibration | None = None
        self._builder: NoiseBuilder | None = None
        self._models: OrderedDict[
            tuple[frozenset[int] | None, frozenset[str] | None, bool, VariantKey | None], NoiseModel
        ] = OrderedDict()
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Device({self.name!r}, num_qubits={self.num_qubits})"

    def backend(self) -> FakeBackendV2 | None:
        """The fake backend instance (built once), or ``None`` for ``ideal``."""
        if self._backend_class is None:
            return None
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self._backend_class()
        return self._backend

    def calibration(self) -> Calibration | None:
        """The device's calibration (``None`` for ``ideal``): from the disk cache when present, else read
        from the fake backend's target (and cached); built once per process."""
        if self._backend_class is None:
            return None
        if self._calibration is None:
            from qhost.devices.calibration import Calibration, load_calibration

            def build() -> Calibration:
                backend = self.backend()
                assert backend is not None
                return Calibration.from_target(self.name, backend.target, backend.operation_names, backend.dt)

            with self._lock:
                if self._calibration is None:
                    self._calibration = load_calibration(self.name, build)
        return self._calibration

    def isa_target(self) -> IsaTarget | None:
        """What an ISA check needs of the device's target, from the calibration (``None`` for ``ideal``)."""
        calibration = self.calibration()
        if calibration is None:
            return None
        from qhost.devices.calibration import IsaTarget

        return IsaTarget(calibration)

    def noise_builder(self) -> NoiseBuilder | None:
        """The per-process :class:`~qhost.devices.channels.NoiseBuilder` (``None`` for ``ideal``)."""
        if self._builder is None:
            calibration = self.calibration()
            if calibration is None:
                return None
            from qhost.devices.channels import NoiseBuilder

            with self._lock:
                if self._builder is None:
                    self._builder = NoiseBuilder(calibration)
        return self._builder

    def noise_model(
        self,
        qubits: Iterable[int] | None = None,
        *,
        kraus: bool = False,
        gates: Iterable[str] | None = None,
        variants: VariantKey | None = None,
    ) -> NoiseModel | None:
        """The device noise on ``qubits`` (all when ``None``) for ``gates`` (all when ``None``); LRU-cached.

        Only the errors a job needs are built (see :mod:`qhost.devices.channels`): the channels are
        those of ``NoiseModel.from_backend`` trimmed to ``qubits``.

        Args:
            qubits: active physical qubits; ``None`` for every qubit of the device.
            kraus: each gate error as one Kraus channel (faster for Aer's density_matrix method, the
                same channel).
            gates: instruction names the job uses; errors of other instructions are left out.
            variants: how named variants (``measure_2``, ``reset_2``, ``xslow``) change the model, from
                :attr:`qhost.executors.variants.Lowered.noise_key`.
        """
        builder = self.noise_builder()
        if builder is None:
            return None
        gates = _narrowable(gates, builder.calibration.basis_gates)
        key = (
            None if qubits is None else frozenset(qubits),
            None if gates is None else frozenset(gates),
            kraus,
            variants,
        )
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                self._models.move_to_end(key)
                return model
        model = builder.model(key[0], key[1], kraus=kraus, variants=variants)
        with self._lock:
            self._models[key] = model
            while len(self._models) > NOISE_CACHE_SIZE:
                self._models.popitem(last=False)
        return model

    def conf_json(self) -> dict[str, Any]:
        """The shipped configuration JSON (a synthetic one for ``ideal``). Do not modify it."""
        if "conf" not in self._cache:
            if self._backend_class is None:
                self._cache["conf"] = _ideal_conf(self.num_qubits)
            else:
                self._cache["conf"] = load_json(self._backend_class, self._backend_class.conf_filename)
        return self._cache["conf"]

    def props_json(self) -> dict[str, Any] | None:
        """The shipped properties JSON, or ``None`` (``ideal``, or a device shipping none)."""
        if "props" not in self._cache:
            cls = self._backend_class
            filename = getattr(cls, "props_filename", None) if cls is not None else None
            self._cache["props"] = load_json(cls, filename) if cls is not None and filename else None
        return self._cache["props"]


_CONTROL_FLOW = frozenset({"if_else", "for_loop", "while_loop", "switch_case", "box"})
_NOISE_FREE = frozenset({"barrier"})


def _narrowable(gates: Iterable[str] | None, basis: Iterable[str]) -> frozenset[str] | None:
    """``gates`` when the noise can be narrowed to them, else ``None`` (every gate).

    Not narrowed when an instruction is a control-flow block (its body's gates are not listed) or is
    outside the device's basis (Aer may decompose it into basis gates, which then carry noise).
    """
    if gates is None:
        return None
    names = frozenset(gates) - _NOISE_FREE
    if names & _CONTROL_FLOW or not names <= frozenset(basis):
        return None
    return names


def load_json(cls: type[FakeBackendV2], filename: str) -> dict[str, Any]:
    with open(os.path.join(cls.dirname, filename), encoding="utf-8") as fh:
        return json.load(fh)


def _ideal_conf(num_qubits: int) -> dict[str, Any]:
    return {
        "backend_name": IDEAL,
        "backend_version": "1.0.0",
        "n_qubits": num_qubits,
        "basis_gates": [
            "id",
            "rz",
            "sx",
            "x",
            "cx",
            "h",
            "s",
            "sdg",
            "t",
            "tdg",
            "y",
            "z",
            "cz",
            "swap",
            "rx",
            "ry",
            "u",
            "p",
            "ecr",
            "ccx",
            "reset",
            "measure",
        ],
        "coupling_map": None,
        "simulator": True,
        "local": False,
        "conditional": True,
        "open_pulse": False,
        "memory": True,
        "max_shots": DEFAULT_MAX_SHOTS,
        "description": "noise-free all-to-all simulator",
        "gates": [],
        # the named variants of qiskit_ibm_runtime.circuit.library, so the client's ISA check lets them
        # through (noise-free, each runs exactly as its base operations: qhost.executors.variants)
        "instruction_signatures": [
            _signature("measure_2", 1, "a measurement (mid-circuit readout); noise-free here"),
            _signature("reset_2", 0, "a reset; noise-free here"),
            _signature("measure_reset", 1, "measure into the bit, then reset the qubit"),
            _signature("xslow", 0, "an X gate (its slower pulse matters only under noise)"),
        ],
    }


def _signature(name: str, num_clbits: int, description: str) -> dict[str, Any]:
    """An ``instruction_signatures`` entry of a backend configuration (one-qubit, no parameters)."""
    return {
        "name": name,
        "num_qubits": 1,
        "num_clbits": num_clbits,
        "parameters": [],
        "return_type": "Bool" if num_clbits else "None",
        "description": description,
    }
