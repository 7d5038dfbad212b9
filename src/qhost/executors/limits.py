"""Input limits shared by executors: shots and the memory a simulation method needs.

Defaults (documented in the user docs):

- ``DEFAULT_SHOTS`` (1000, ``qhost.config.defaults``) when a request gives ``shots=None``.
- ``max_shots()``: the ``max_shots`` setting from this process's environment (``QHOST_MAX_SHOTS``), else
  ``DEFAULT_MAX_SHOTS`` (1,000,000).
- ``memory_limit_bytes(max_memory_mb)``: the executor's ``max_memory_mb`` option when > 0, else
  the ``max_memory_mb`` setting (``QHOST_MAX_MEMORY_MB``), else 90 % of the memory available now
  (``MemAvailable``).
"""

from __future__ import annotations

import os
import time

from qhost.config import from_environment
from qhost.config.defaults import DEFAULT_SHOTS
from qhost.errors import CircuitTooLarge, InvalidOption

__all__ = [
    "DEFAULT_SHOTS",
    "MAX_QUBITS",
    "check_memory",
    "check_shots",
    "max_shots",
    "memory_limit_bytes",
    "required_bytes",
]

MAX_QUBITS = {"matrix_product_state": 1000, "extended_stabilizer": 63, "stabilizer": 10_000}
"""Qubit caps for methods whose memory does not grow as 2^n (MPS memory depends on entanglement)."""


def max_shots() -> int:
    """The largest shots value a request may ask for (``QHOST_MAX_SHOTS``, default 1,000,000)."""
    return int(from_environment("max_shots"))


def check_shots(shots: object, limit: int | None = None) -> int:
    """Return the shots to run: ``None`` → ``DEFAULT_SHOTS``; refuse non-integers, ≤ 0 and > limit.

    Raises:
        InvalidOption: the value is not an integer in ``1..limit`` (the message names the limit).
    """
    limit = max_shots() if limit is None else limit
    if shots is None:
        return min(DEFAULT_SHOTS, limit)
    if isinstance(shots, bool) or not isinstance(shots, int):
        raise InvalidOption(f"shots must be an integer between 1 and {limit}, got {shots!r}")
    if shots <= 0 or shots > limit:
        raise InvalidOption(f"shots must be between 1 and {limit} (max_shots), got {shots}")
    return shots


def memory_limit_bytes(max_memory_mb: int = 0) -> int:
    """Bytes a simulation may use: the option, else ``QHOST_MAX_MEMORY_MB``, else 90 % of available."""
    if max_memory_mb and max_memory_mb > 0:
        return int(max_memory_mb) << 20
    configured = from_environment("max_memory_mb")
    if configured is not None:
        return int(configured) << 20
    return int(_available_bytes() * 0.9)


_AVAILABLE_TTL_S = 1.0
_available_cache: tuple[float, int] = (-1e9, 0)


def _available_bytes() -> int:
    """Available memory, read at most once a second (every small job asks; the answer moves slowly)."""
    global _available_cache
    now = time.monotonic()
    read_at, value = _available_cache
    if now - read_at > _AVAILABLE_TTL_S:
        value = _read_available_bytes()
        _available_cache = (now, value)
    return value


def _read_available_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def required_bytes(method: str, num_qubits: int, precision: str = "double") -> int:
    """Bytes the state of ``method`` needs for ``num_qubits`` qubits (0 when not 2^n-bound)."""
    item = 8 if precision == "single" else 16
    if method in ("statevector", "automatic"):
        return item << num_qubits
    if method in ("density_matrix", "unitary"):
        return item << (2 * num_qubits)
    if method == "superop":
        return item << (4 * num_qubits)
    if method == "stabilizer":
        return (2 * num_qubits) * (2 * num_qubits + 1) // 8
    return 0


def check_memory(method: str, num_qubits: int, limit_bytes: int, precision: str = "double") -> None:
    """Refuse a circuit whose state does not fit ``limit_bytes`` (or the method's qubit cap).

    Raises:
        CircuitTooLarge: the message gives qubits, method, bytes needed and the limit.
    """
    cap = MAX_QUBITS.get(method)
    if cap is not None and num_qubits > cap:
        raise CircuitTooLarge(f"{num_qubits} qubits exceed the {method} method's limit of {cap} qubits")
    needed = required_bytes(method, num_qubits, precision)
    if needed > limit_bytes:
        raise CircuitTooLarge(
            f"{num_qubits} qubits with method {method} ({precision} precision) need {needed:,} bytes "
            f"({_human(needed)}), over the memory limit of {limit_bytes:,} bytes ({_human(limit_bytes)}); "
            "use fewer qubits, precision='single', or a Clifford / matrix_product_state method"
        )


def _human(num: int) -> str:
    value = float(num)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} EiB"
