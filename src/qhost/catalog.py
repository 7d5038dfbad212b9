"""The catalog: device metadata × executors = virtual backends named ``<device>@<executor>``.

Devices are every ``FakeBackendV2`` in ``qiskit_ibm_runtime.fake_provider`` (found at run time by
their ``backend_name``) plus ``ideal`` (noise-free, all-to-all). Listing reads only each device's
shipped configuration JSON; the fake backend object and its noise model are built on first use
and cached per process.

Example:
    >>> from qhost.catalog import Catalog, parse_name
    >>> parse_name("fake_manila@aer")
    ('fake_manila', 'aer')
    >>> Catalog().resolve("fake_manila@aer").num_qubits
    5
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qhost.errors import ExecutorUnavailable, InvalidOption, UnknownBackend
from qhost.executors import EXECUTORS, executor_availability

if TYPE_CHECKING:
    from qiskit_aer.noise import NoiseModel
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

__all__ = [
    "IDEAL",
    "Catalog",
    "CatalogEntry",
    "Device",
    "default_catalog",
    "fake_device_classes",
    "ideal_num_qubits",
    "parse_name",
]

IDEAL = "ideal"
LIST_HINT = "list valid names with `qhost backends` or GET /backends"
NOISE_CACHE_SIZE = 64


def parse_name(name: object) -> tuple[str, str]:
    """Split ``"<device>@<executor>"`` into its two parts.

    Raises:
        InvalidOption: ``name`` is not a non-empty string.
        UnknownBackend: ``name`` is not of the form ``<device>@<executor>``.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidOption(f"Backend name must be a non-empty string like 'fake_manila@aer', got {name!r}")
    device, sep, executor = name.partition("@")
    if not sep or not device or not executor or "@" in executor:
        raise UnknownBackend(
            f"Backend name {name!r} is not of the form '<device>@<executor>' "
            f"(e.g. 'fake_manila@aer'); {LIST_HINT}"
        )
    return device, executor


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


def ideal_num_qubits() -> int:
    """Qubits a double-precision statevector can hold in this machine's memory (as Aer computes it)."""
    from qhost.executors.limits import memory_limit_bytes

    return max(1, (memory_limit_bytes() // 16).bit_length() - 1)


@dataclass(frozen=True)
class CatalogEntry:
    """One virtual backend: ``name`` = ``device@executor``; ``reason`` says why it is unavailable."""

    name: str
    device: str
    executor: str
    num_qubits: int
    available: bool
    reason: str = ""


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
                method, same results); see :func:`qhost.executors.noise.kraus_noise_model`.
        """
        if self._backend_class is None:
            return None
        from qhost.executors.noise import build_noise_model, kraus_noise_model, trim_noise_model

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
                self._cache["conf"] = _load_json(self._backend_class, self._backend_class.conf_filename)
        return self._cache["conf"]

    def props_json(self) -> dict[str, Any] | None:
        """The shipped properties JSON, or ``None`` (``ideal``, or a device shipping none)."""
        if "props" not in self._cache:
            cls = self._backend_class
            filename = getattr(cls, "props_filename", None) if cls is not None else None
            self._cache["props"] = _load_json(cls, filename) if cls is not None and filename else None
        return self._cache["props"]


def _load_json(cls: type[FakeBackendV2], filename: str) -> dict[str, Any]:
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


_devices: dict[str, Device] = {}
_devices_lock = threading.Lock()


class Catalog:
    """Virtual backends: every device × the given executors (default: every registered executor)."""

    def __init__(self, executors: Sequence[str] | None = None) -> None:
        names = tuple(EXECUTORS) if executors is None else tuple(executors)
        unknown = [n for n in names if n not in EXECUTORS]
        if unknown:
            raise InvalidOption(f"Unknown executor {unknown[0]!r}; valid: {sorted(EXECUTORS)}")
        self.executors = names

    def device_names(self) -> list[str]:
        """``ideal`` followed by every fake device name, sorted."""
        return [IDEAL, *fake_device_classes()]

    def device(self, name: str) -> Device:
        """The (process-wide, cached) device called ``name``.

        Raises:
            UnknownBackend: no such device (the message suggests close names and how to list).
        """
        device = _devices.get(name)
        if device is not None:
            return device
        with _devices_lock:
            if name not in _devices:
                _devices[name] = self._make_device(name)
            return _devices[name]

    def _make_device(self, name: str) -> Device:
        if name == IDEAL:
            return Device(IDEAL, ideal_num_qubits())
        cls = fake_device_classes().get(name)
        if cls is None:
            close = difflib.get_close_matches(name, self.device_names(), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise UnknownBackend(f"Unknown device {name!r}.{hint} {LIST_HINT[0].upper()}{LIST_HINT[1:]}")
        conf = _load_json(cls, cls.conf_filename)
        return Device(name, int(conf["n_qubits"]), cls)

    def entries(self) -> list[CatalogEntry]:
        """Every ``device@executor`` (``ideal`` first), with each executor's availability."""
        status = {name: executor_availability(name) for name in self.executors}
        rows = []
        for device_name in self.device_names():
            device = self.device(device_name)
            for executor in self.executors:
                ok = status[executor]
                rows.append(
                    CatalogEntry(
                        f"{device_name}@{executor}",
                        device_name,
                        executor,
                        device.num_qubits,
                        ok.ok,
                        ok.reason,
                    )
                )
        return rows

    def resolve(self, name: str) -> CatalogEntry:
        """The entry called ``name``.

        Raises:
            InvalidOption / UnknownBackend: malformed or unknown name (the message says how to list).
            ExecutorUnavailable: the backend exists but its executor cannot run here (says why).
        """
        device_name, executor = parse_name(name)
        if executor not in self.executors:
            raise UnknownBackend(
                f"Unknown backend {name!r}: executor {executor!r} is not served here "
                f"(served: {', '.join(self.executors)}); {LIST_HINT}"
            )
        try:
            device = self.device(device_name)
        except UnknownBackend as exc:
            raise UnknownBackend(f"Unknown backend {name!r}: {exc.message}") from None
        status = executor_availability(executor)
        if not status.ok:
            raise ExecutorUnavailable(f"Backend {name!r} is unavailable: {status.reason}")
        return CatalogEntry(name, device_name, executor, device.num_qubits, True, "")


@functools.cache
def default_catalog() -> Catalog:
    """A process-wide catalog over every registered executor (used by worker programs)."""
    return Catalog()
