"""The catalog: device metadata × executors = virtual backends named ``<device>@<executor>``.

Device metadata comes from :mod:`qhost.devices` (re-exported here). Devices are every ``FakeBackendV2``
in ``qiskit_ibm_runtime.fake_provider`` (found at run time by
their ``backend_name``) plus ``ideal`` (noise-free, all-to-all). Listing reads only each device's
shipped configuration JSON; the fake backend object and its noise model are built on first use
and cached per process.

May import: qhost.executors, qhost.devices, qhost.errors.

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
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from qhost.devices import IDEAL, Device, fake_device_classes, load_json
from qhost.errors import ExecutorUnavailable, InvalidOption, UnknownBackend
from qhost.executors import EXECUTORS, executor_availability, executor_class

__all__ = [
    "IDEAL",
    "Catalog",
    "CatalogEntry",
    "Device",
    "default_catalog",
    "fake_device_classes",
    "ideal_num_qubits",
    "noise_free_refusal",
    "parse_name",
]

LIST_HINT = "list valid names with `qhost backends`, GET /api/v1/backends (HTTP doors) or backends() (Thrift)"


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


def noise_free_refusal(device: str, executor: str) -> str:
    """Why ``device@executor`` cannot run though both exist (noise-free simulator, noisy device), or ""."""
    if device == IDEAL:
        return ""
    try:
        noise_free = executor_class(executor).NOISE_FREE_ONLY
    except Exception:  # a broken optional executor: its availability says why
        return ""
    if not noise_free:
        return ""
    return (
        f"executor {executor!r} simulates noise-free circuits only; use 'ideal@{executor}', "
        f"or '{device}@aer' for the noisy device {device!r}"
    )


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
        """``ideal`` followed by every fake device name, sorted (from the per-install device index)."""
        from qhost.devices.index import device_sizes

        return [IDEAL, *device_sizes()]

    def count(self) -> int:
        """How many virtual backends there are (devices × executors), without building any device."""
        return len(self.device_names()) * len(self.executors)

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
        conf = load_json(cls, cls.conf_filename)
        return Device(name, int(conf["n_qubits"]), cls)

    def estimated_seconds(self, backend: str, rows: Sequence[dict[str, object]]) -> float | None:
        """The run-time estimate of a job of summary ``rows`` on ``backend`` (``executors.estimate``); None
        for a name that is no backend of this catalog (a ``run_func`` server's)."""
        from qhost.executors.estimate import estimated_seconds

        try:
            entry = self.resolve(backend)
        except (InvalidOption, UnknownBackend, ExecutorUnavailable):
            return None
        noisy = not self.device(entry.device).is_ideal
        sized = [{**row, "gates": row.get("gates") or row.get("statements") or 1} for row in rows]
        return estimated_seconds(sized, noisy=noisy, executor=entry.executor)

    def entries(self) -> list[CatalogEntry]:
        """Every ``device@executor`` (``ideal`` first), with each executor's availability."""
        status = {name: executor_availability(name) for name in self.executors}
        rows = []
        for device_name in self.device_names():
            device = self.device(device_name)
            for executor in self.executors:
                ok = status[executor]
                refusal = noise_free_refusal(device_name, executor) if ok.ok else ""
                rows.append(
                    CatalogEntry(
                        f"{device_name}@{executor}",
                        device_name,
                        executor,
                        device.num_qubits,
                        ok.ok and not refusal,
                        ok.reason or refusal,
                    )
                )
        return rows

    def resolve(self, name: str) -> CatalogEntry:
        """The entry called ``name``.

        Raises:
            InvalidOption / UnknownBackend: malformed or unknown name (the message says how to list), or
                a noise-free executor on a noisy device (the message names what to use instead).
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
        refusal = noise_free_refusal(device_name, executor)
        if refusal:
            raise InvalidOption(f"Backend {name!r} is unavailable: {refusal}")
        status = executor_availability(executor)
        if not status.ok:
            raise ExecutorUnavailable(f"Backend {name!r} is unavailable: {status.reason}")
        return CatalogEntry(name, device_name, executor, device.num_qubits, True, "")


@functools.cache
def default_catalog() -> Catalog:
    """A process-wide catalog over every registered executor (used by worker programs)."""
    return Catalog()
