"""Per-app memories of the IBM door's ``POST /jobs``: idempotency keys and already validated params."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["IDEMPOTENCY_WINDOW", "VALIDATED_CACHE_SIZE", "IdempotencyLedger", "ValidatedParams"]

IDEMPOTENCY_WINDOW = 120.0
"""Seconds a ``POST /jobs`` answered with a 5xx stays replayable: a retry with the same body gets that job."""


VALIDATED_CACHE_SIZE = 256
"""Distinct validated params (per program and backend) a ``POST /jobs`` remembers, see ``ValidatedParams``."""


class IdempotencyLedger:
    """Idempotency keys for ``POST /jobs`` that never merge two *successful* identical submissions.

    Each request gets the key ``sha256(owner, body) : boot id : sequence number`` with a fresh sequence
    number, so identical requests (also concurrent ones) are distinct jobs. A request answered with a 5xx
    hands its key back for ``window`` seconds: the client's retry (same owner, same body) takes it again,
    and the engine returns the job the failed attempt may already have created instead of a second one.
    """

    def __init__(self, window: float = IDEMPOTENCY_WINDOW) -> None:
        self.window = window
        self.boot = uuid.uuid4().hex[:8]
        self._seq = 0
        self._failed: dict[str, list[tuple[str, float]]] = {}
        self._lock = threading.Lock()

    def reserve(self, owner: str, body: bytes) -> str:
        """A key for this request: a handed-back one for the same owner and body, else a fresh one."""
        digest = hashlib.sha256(owner.encode() + b"\0" + body).hexdigest()
        with self._lock:
            self._prune(time.monotonic())
            waiting = self._failed.get(digest)
            if waiting:
                key = waiting.pop(0)[0]
                if not waiting:
                    del self._failed[digest]
                return key
            self._seq += 1
            return f"{digest}:{self.boot}:{self._seq}"

    def failed(self, key: str) -> None:
        """The request holding ``key`` was answered with a 5xx: let a retry reuse it."""
        digest = key.split(":", 1)[0]
        with self._lock:
            self._failed.setdefault(digest, []).append((key, time.monotonic()))

    def _prune(self, now: float) -> None:
        for digest in [d for d, keys in self._failed.items() if now - keys[-1][1] >= self.window]:
            del self._failed[digest]


class ValidatedParams:
    """Params already decoded and validated for a (program, backend): identical ones skip the work.

    Decoding (QPY, ndarrays), pub coercion and the ISA check are deterministic in the params text, the
    program, the backend and the app's limits, and a client running the same circuit many times sends
    the same text each time. Only successes are remembered (by SHA-256), at most ``size`` of them.
    """

    def __init__(self, size: int = VALIDATED_CACHE_SIZE) -> None:
        self.size = size
        self._seen: dict[tuple[str, str, bytes], Any] = {}
        self._lock = threading.Lock()

    def check(self, program: str, backend: str, inputs: str, validate: Callable[[], Any]) -> Any:
        """Run ``validate`` unless these exact params passed it before for this program and backend.

        Returns what ``validate`` returned (the input summary), remembered with the success.
        """
        key = (program, backend, hashlib.sha256(inputs.encode()).digest())
        if key in self._seen:
            return self._seen[key]
        value = validate()
        with self._lock:
            if len(self._seen) >= self.size:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = value
        return value
