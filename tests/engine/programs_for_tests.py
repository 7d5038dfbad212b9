"""Small programs the engine tests register (importable by spawned worker processes via sys.path)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

from qhost.errors import InvalidCircuit

__all__ = [
    "GATE",
    "LOG",
    "boom",
    "crash",
    "echo",
    "gated",
    "hog",
    "killed",
    "logged",
    "no_memory",
    "not_text",
    "pid",
    "sleepy",
    "user_error",
    "warm",
]

GATE = threading.Event()
"""Thread-mode jobs of ``gated`` block until a test sets this."""
LOG: list[str] = []
"""``logged`` appends ``start:<x>`` and ``end:<x>`` here (thread mode)."""
_CALLS = {"n": 0}


def echo(backend: str | None, inputs: str) -> str:
    return json.dumps({"backend": backend, "inputs": json.loads(inputs)})


def boom(backend: str | None, inputs: str) -> str:
    raise ValueError(f"boom {inputs}")


def user_error(backend: str | None, inputs: str) -> str:
    raise InvalidCircuit("Unsupported gate 'foo' in circuit")


def not_text(backend: str | None, inputs: str) -> str:
    return {"not": "text"}  # type: ignore[return-value]


def sleepy(backend: str | None, inputs: str) -> str:
    time.sleep(float(inputs))
    return json.dumps({"slept": float(inputs)})


def gated(backend: str | None, inputs: str) -> str:
    GATE.wait(10)
    return "{}"


def logged(backend: str | None, inputs: str) -> str:
    LOG.append(f"start:{inputs}")
    time.sleep(0.02)
    LOG.append(f"end:{inputs}")
    return "{}"


def pid(backend: str | None, inputs: str) -> str:
    return json.dumps(os.getpid())


def frozen(backend: str | None, inputs: str) -> str:
    """How many objects the worker's warm-up froze out of garbage collection (``gc.freeze``)."""
    import gc

    return json.dumps({"frozen": gc.get_freeze_count()})


def warm(backend: str | None, inputs: str) -> str:
    _CALLS["n"] += 1
    return json.dumps({"pid": os.getpid(), "calls": _CALLS["n"]})


def crash(backend: str | None, inputs: str) -> str:
    os._exit(3)


def killed(backend: str | None, inputs: str) -> str:
    os.kill(os.getpid(), signal.SIGKILL)
    return "{}"


def no_memory(backend: str | None, inputs: str) -> str:
    return str(len(bytearray(1 << 44)))  # 16 TiB: refused by the allocator


def hog(backend: str | None, inputs: str) -> str:
    return str(len(bytearray(int(inputs) * 1024 * 1024)))
