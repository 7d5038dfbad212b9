"""The list of devices (name → qubits), cached on disk per install so that listing needs no import.

Finding the fake devices imports ``qiskit_ibm_runtime.fake_provider`` (about a second) and reads every
configuration JSON; the answer only changes with the installed versions. :func:`device_sizes` keeps it
in the calibration cache directory (:func:`qhost.devices.calibration.cache_dir`) next to those versions,
so a server's first ``GET /`` or backend listing costs a file read.
"""

from __future__ import annotations

import functools
import json
import logging

from qhost.devices.calibration import cache_dir, library_versions, write_json_atomic

__all__ = ["cached_device_sizes", "device_sizes"]

log = logging.getLogger(__name__)


def _build() -> dict[str, int]:
    from qhost.devices.device import fake_device_classes, load_json

    classes = fake_device_classes()
    return {name: int(load_json(cls, cls.conf_filename)["n_qubits"]) for name, cls in classes.items()}


def cached_device_sizes() -> dict[str, int] | None:
    """The device list from the disk cache when it is there and current, else ``None`` (never builds)."""
    if device_sizes.cache_info().currsize:
        return device_sizes()
    return _cached_on_disk()


@functools.cache
def device_sizes() -> dict[str, int]:
    """Every fake device name (sorted) → its number of qubits; read from the disk cache when current."""
    cached = _cached_on_disk()
    if cached is not None:
        return cached
    sizes = _build()
    base = cache_dir()
    if base is not None:
        path = base / "devices.json"
        try:
            write_json_atomic(path, {"versions": library_versions(), "devices": sizes})
        except OSError as exc:
            log.warning("cannot write device index %s: %s", path, exc)
    return sizes


def _cached_on_disk() -> dict[str, int] | None:
    base = cache_dir()
    if base is None:
        return None
    path = base / "devices.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("versions") == library_versions():
            return {str(k): int(v) for k, v in data["devices"].items()}
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring unreadable device index %s: %s", path, exc)
    return None
