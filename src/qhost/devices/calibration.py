"""A device's calibration as plain numbers, read from its target once and cached on disk.

Building a fake backend's ``Target`` costs 0.1 s (127 qubits) to 0.8 s (156 qubits), and Aer's
``NoiseModel.from_backend`` reads nothing else from it than what :class:`Calibration` keeps: per qubit
T1, T2 and frequency; per instruction and qubits its duration and error; per qubit the readout error;
``dt`` and the operation names. Those numbers depend only on the installed qiskit-ibm-runtime (and on
how qiskit builds the target), so they are computed once per install and kept as JSON under the cache
directory, next to the versions they came from; a version change rebuilds them. Writers write a
temporary file and ``os.replace`` it, so concurrent workers never read half a file.

The cache directory is ``QHOST_CACHE_DIR`` (the server sets it to ``<data dir>/cache`` for itself and
its workers, see :func:`set_cache_dir`); with none set nothing is written and every process reads the
target itself.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_ENV",
    "FORMAT",
    "Calibration",
    "InstructionCal",
    "IsaTarget",
    "cache_dir",
    "library_versions",
    "load_calibration",
    "set_cache_dir",
    "user_cache_dir",
    "write_json_atomic",
]

log = logging.getLogger(__name__)

CACHE_ENV = "QHOST_CACHE_DIR"
"""Environment variable naming the on-disk cache directory (inherited by spawned workers)."""

FORMAT = 2
"""Version of the JSON layout below; bump it when the layout or its meaning changes."""

_VERSIONED = ("qiskit-ibm-runtime", "qiskit-aer", "qiskit")


@dataclass(frozen=True)
class InstructionCal:
    """One instruction of the target: name, whether it is a ``Gate``, and per qubits (duration s, error)."""

    name: str
    is_gate: bool
    props: dict[tuple[int, ...], tuple[float | None, float | None]]


@dataclass(frozen=True)
class Calibration:
    """What Aer's device noise model is derived from (units: seconds and hertz, as in the target).

    Attributes:
        device: the device name.
        num_qubits: qubits of the device.
        dt: the sample time in seconds (``None`` when the device has none).
        basis_gates: the backend's ``operation_names``, sorted.
        qubits: per qubit ``(t1, t2, frequency)``, or ``None`` when the target has no qubit properties.
        readout: per measured qubit ``(P(1|0), P(0|1))``.
        instructions: every instruction with per-qubit properties, by name.
        supported: per operation name ``(qubit tuples it is calibrated on, global, width)``: what the
            target supports (``global``: on any qubits; ``width``: its fixed number of qubits, ``None``
            when variadic), for :class:`IsaTarget`.
    """

    device: str
    num_qubits: int
    dt: float | None
    basis_gates: tuple[str, ...]
    qubits: tuple[tuple[float | None, float | None, float | None], ...] | None
    readout: dict[int, tuple[float, float]]
    instructions: tuple[InstructionCal, ...]
    supported: dict[str, tuple[frozenset[tuple[int, ...]], bool, int | None]] = field(default_factory=dict)
    _by_name: dict[str, InstructionCal] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({inst.name: inst for inst in self.instructions})

    def instruction(self, name: str) -> InstructionCal | None:
        """The calibration of instruction ``name``, or ``None`` when the target has none."""
        return self._by_name.get(name)

    # ------------------------------------------------------------------ building and (de)serialising
    @classmethod
    def from_target(cls, device: str, target: Any, operation_names: Any, dt: float | None) -> Calibration:
        """Read a qiskit ``Target`` the way ``NoiseModel.from_backend`` does."""
        from qiskit.circuit import Gate, Measure

        qprops = target.qubit_properties
        qubits = (
            tuple((p.t1, p.t2, p.frequency) if p is not None else (None, None, None) for p in qprops)
            if qprops
            else None
        )
        readout: dict[int, tuple[float, float]] = {}
        instructions = []
        supported = {}
        for name, per_qubits in target.items():
            operation = target.operation_from_name(name)
            keys = [] if per_qubits is None else list(per_qubits)
            width = None if isinstance(operation, type) else int(operation.num_qubits)
            supported[name] = (frozenset(tuple(k) for k in keys if k is not None), None in keys, width)
            if isinstance(operation, Measure):
                for qs, prop in (per_qubits or {}).items():
                    if prop is None or qs is None:
                        continue
                    if hasattr(prop, "prob_meas1_prep0") and hasattr(prop, "prob_meas0_prep1"):
                        readout[qs[0]] = (prop.prob_meas1_prep0, prop.prob_meas0_prep1)
                    else:
                        readout[qs[0]] = (prop.error, prop.error)
                continue
            if per_qubits is None:
                continue
            props = {
                tuple(qs): (prop.duration, prop.error)
                for qs, prop in per_qubits.items()
                if prop is not None and qs is not None
            }
            if props:
                instructions.append(InstructionCal(name, isinstance(operation, Gate), props))
        # sorted: the target's own order follows set iteration, which differs between processes
        instructions.sort(key=lambda inst: inst.name)
        return cls(
            device,
            target.num_qubits,
            dt,
            tuple(sorted(operation_names)),
            qubits,
            readout,
            tuple(instructions),
            supported,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (floats round-trip exactly through ``json``)."""
        return {
            "device": self.device,
            "num_qubits": self.num_qubits,
            "dt": self.dt,
            "basis_gates": list(self.basis_gates),
            "qubits": None if self.qubits is None else [list(q) for q in self.qubits],
            "readout": [[q, p0m1, p1m0] for q, (p0m1, p1m0) in self.readout.items()],
            "instructions": [
                [inst.name, inst.is_gate, [[list(qs), d, e] for qs, (d, e) in inst.props.items()]]
                for inst in self.instructions
            ],
            "supported": [
                [name, sorted(list(qs) for qs in keys), is_global, width]
                for name, (keys, is_global, width) in sorted(self.supported.items())
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        """The inverse of :meth:`to_json`."""
        qubits = data["qubits"]
        return cls(
            str(data["device"]),
            int(data["num_qubits"]),
            data["dt"],
            tuple(data["basis_gates"]),
            None if qubits is None else tuple((q[0], q[1], q[2]) for q in qubits),
            {int(q): (p0m1, p1m0) for q, p0m1, p1m0 in data["readout"]},
            tuple(
                InstructionCal(name, bool(is_gate), {tuple(qs): (d, e) for qs, d, e in props})
                for name, is_gate, props in data["instructions"]
            ),
            {
                name: (frozenset(tuple(qs) for qs in keys), bool(is_global), width)
                for name, keys, is_global, width in data["supported"]
            },
        )


class IsaTarget:
    """The part of a qiskit ``Target`` that ISA checks read (``num_qubits``, ``instruction_supported``),
    answered from a :class:`Calibration`, so that checking a job needs no ``Target`` (0.1-0.8 s to build).
    """

    def __init__(self, calibration: Calibration) -> None:
        self.num_qubits = calibration.num_qubits
        self._supported = calibration.supported

    def instruction_supported(self, operation_name: str, qargs: tuple[int, ...] | None = None) -> bool:
        """As ``Target.instruction_supported(operation_name, qargs)`` for a calibrated target."""
        entry = self._supported.get(operation_name)
        if entry is None:
            return False
        keys, is_global, width = entry
        if qargs is None or tuple(qargs) in keys:
            return True
        if not is_global:
            return False
        if width is None:  # variadic (control flow): qiskit accepts any qubits
            return True
        return width == len(qargs) and all(0 <= q < self.num_qubits for q in qargs)


# ---------------------------------------------------------------------------------- the disk cache
_cache_dir: Path | None = None
_configured = False


def set_cache_dir(path: str | Path | None) -> None:
    """Use ``path`` as the on-disk cache (``None``: none); exported as ``QHOST_CACHE_DIR`` for workers.

    Writing the variable is for the worker processes this one starts (they read it as the ``cache_dir``
    setting); this process keeps ``path`` itself.
    """
    global _cache_dir, _configured
    _cache_dir = None if path is None else Path(path)
    _configured = path is not None
    if path is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = str(path)


def user_cache_dir() -> str | None:
    """``QHOST_CACHE_DIR`` when the user set it (not when :func:`set_cache_dir` exported it)."""
    if _configured:
        return None
    from qhost.config import from_environment

    configured = from_environment("cache_dir")
    return None if configured is None else str(configured)


def cache_dir() -> Path | None:
    """The on-disk cache directory: :func:`set_cache_dir`'s, else ``QHOST_CACHE_DIR``, else ``None``."""
    if _cache_dir is not None:
        return _cache_dir
    from qhost.config import from_environment

    configured: Path | None = from_environment("cache_dir")
    return configured


@functools.cache
def library_versions() -> dict[str, str]:
    """The versions a cached calibration depends on (and this module's ``FORMAT``)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"format": str(FORMAT)}
    for dist in _VERSIONED:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "absent"
    return out


def _path(device: str) -> Path | None:
    base = cache_dir()
    return None if base is None else base / "calibration" / f"{device}.json"


def _read(path: Path, versions: dict[str, str]) -> Calibration | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("versions") != versions:
            return None
        return Calibration.from_json(data["calibration"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:  # unreadable: rebuild it
        log.warning("ignoring unreadable calibration cache %s: %s", path, exc)
        return None


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` via a temporary file and ``os.replace`` (readers never see a
    partial file; concurrent writers each replace it whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load_calibration(device: str, build: Callable[[], Calibration]) -> Calibration:
    """``device``'s calibration from the disk cache, else ``build()`` (and cached when a cache is set).

    A cache written by other library versions (or another ``FORMAT``) is rebuilt; a cache that cannot
    be written (read-only disk) only costs the rebuild next time.
    """
    path = _path(device)
    versions = library_versions()
    if path is not None:
        cached = _read(path, versions)
        if cached is not None:
            return cached
    calibration = build()
    if path is not None:
        try:
            write_json_atomic(path, {"versions": versions, "calibration": calibration.to_json()})
        except OSError as exc:
            log.warning("cannot write calibration cache %s: %s", path, exc)
    return calibration
