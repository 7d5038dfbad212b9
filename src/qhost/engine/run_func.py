"""The engine's own program for a user's ``run_func(qasm, shots, token) -> counts``: counts as JSON.

The ``token`` a Qrisp client sends (with keys off it is handed to ``run_func``; often someone's downstream
credential) is never stored: a job's inputs carry only ``tokenRef``, a keyed hash (HMAC under a random
per-process key), and the token itself waits in ``TOKENS``, this process's bounded memory, for the job to
run (``run_func`` jobs run in the server's own threads). A job whose token is gone (the server restarted
since it was submitted) fails saying so instead of running with no token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import numbers
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable

from qhost.errors import ExecutorError
from qhost.executors.base import RunFunc
from qhost.programs.progress import report

__all__ = ["TOKENS", "TokenVault", "run_func_counts"]


class TokenVault:
    """Tokens by reference (``ref(token)``); the oldest put go first past ``max_bytes`` or ``max_items``."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_items: int = 100_000) -> None:
        self.max_bytes, self.max_items = max_bytes, max_items
        self._key = secrets.token_bytes(32)
        self._tokens: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def ref(self, token: str) -> str:
        """The keyed hash naming ``token`` (reveals nothing about it)."""
        digest = hmac.new(self._key, token.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return "hmac-" + digest.hexdigest()[:32]

    def put(self, token: str) -> str:
        """Keep ``token`` for a job about to be submitted; its reference (what the job stores)."""
        ref = self.ref(token)
        with self._lock:
            old = self._tokens.pop(ref, None)
            self._bytes -= len(old) if old is not None else 0
            self._tokens[ref] = token
            self._bytes += len(token)
            while self._tokens and (len(self._tokens) > self.max_items or self._bytes > self.max_bytes):
                _, dropped = self._tokens.popitem(last=False)
                self._bytes -= len(dropped)
        return ref

    def get(self, ref: str) -> str | None:
        with self._lock:
            return self._tokens.get(ref)


TOKENS = TokenVault()
"""This process's tokens of queued ``run_func`` jobs (see the module docstring)."""


def run_func_counts(run_func: RunFunc, inputs: str, cancelled: Callable[[], bool] | None = None) -> str:
    """Call the user's run_func with a job's inputs and return its counts as JSON text.

    A batch (``qasm`` and ``shots`` lists) calls it once per circuit, in order, reporting progress after
    each, and returns ``{"batch": [{"counts": …}, …]}``. Before each circuit after the first it asks
    ``cancelled()``: a cancelled batch stops there (a thread cannot be interrupted inside ``run_func``).
    """
    args = json.loads(inputs)
    token = _token(args)
    if isinstance(args["qasm"], list):
        batch: list[dict[str, object]] = []
        for qasm, shots in zip(args["qasm"], args["shots"], strict=True):
            if batch and cancelled is not None and cancelled():
                raise ExecutorError(
                    f"the batch was cancelled after {len(batch)} of {len(args['qasm'])} circuits"
                )
            batch.append({"counts": _checked(run_func(qasm, shots, token))})
            report(len(batch), len(args["qasm"]), "circuits")
        return json.dumps({"batch": batch})
    return json.dumps(_checked(run_func(args["qasm"], args.get("shots"), token)))


def _checked(counts: object) -> dict[str, int | float]:
    if not isinstance(counts, dict):
        raise ExecutorError(f"run_func returned {type(counts).__name__}, expected a dict of str -> int/float")
    out: dict[str, int | float] = {}
    for key, value in counts.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, numbers.Real):
            kind = type(value).__name__
            raise ExecutorError(
                f"run_func returned a dict with entry {key!r}: {kind}; expected str -> int/float"
            )
        out[key] = int(value) if isinstance(value, numbers.Integral) else float(value)
    return out


def _token(args: dict[str, object]) -> str:
    ref = args.get("tokenRef")
    if not ref:
        token = args.get("token", "")  # rows written before tokens were kept out of the store
        return token if isinstance(token, str) else ""
    token = TOKENS.get(str(ref))
    if token is None:
        raise ExecutorError(
            "this job's token is gone: tokens are kept in server memory only, never stored, and the server "
            "restarted since the job was submitted; submit the job again"
        )
    return token
