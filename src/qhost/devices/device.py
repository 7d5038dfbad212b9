"""Device metadata: one fake IBM device (or ``ideal``) with its calibration, backend object and noise.

Lowest layer above :mod:`qhost.errors`: the catalog and the executors both read a :class:`Device`, and
nothing here imports them. The fake backend object and its noise models are built on first use and
cached per process.
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

if TYPE_CHECKING:
    from qiskit_aer.noise import NoiseModel
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

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
        self._noise: NoiseModel | None = None
        self._trimmed: OrderedDict[tuple[frozenset[int], bool], NoiseModel] = OrderedDict()
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

    def noise_model(self, qubits: Iterable[int] | None = None, *, kraus: bool = False) -> NoiseModel | None:
        """The device noise model, trimmed to ``qubits`` when given (cached; LRU for trims).

        Args:
            qubits: active physical qubits; ``None`` for the full model.
            kraus: each error collapsed into one Kraus channel (faster for Aer's density_matrix
                method, same results); see :func:`qhost.devices.noise.kraus_noise_model`.
        """
        if self._backend_class is None:
            return None
        from qhost.devices.noise import build_noise_model, kraus_noise_model, trim_noise_model

        with self._lock:
            if self._noise is None:
                backend = self.backend()
                assert backend is not None
                self._noise = build_noise_model(backend)
            if qubits is None and not kraus:
                return self._noise
            key = (frozenset(range(self.num_qubits)) if qubits is None else frozenset(qubits), kraus)
            model = self._trimmed.get(key)
            if model is None:
                model = trim_noise_model(self._noise, key[0]) if qubits is not None else self._noise
                model = kraus_noise_model(model) if kraus else model
                self._trimmed[key] = model
                while len(self._trimmed) > NOISE_CACHE_SIZE:
                    self._trimmed.popitem(last=False)
            else:
                self._trimmed.move_to_end(key)
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
        "max_shots": 1_000_000,
        "description": "noise-free all-to-all simulator",
        "gates": [],
    }
