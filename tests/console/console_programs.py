"""Programs the console tests run in thread mode (same process, so an Event can hold a job)."""

from __future__ import annotations

import threading

GATE = threading.Event()


def gated(backend: str | None, inputs: str) -> str:
    """Hold its worker until ``GATE`` is set (at most 30 s)."""
    GATE.wait(30)
    return '{"counts": {"0": 1}}'


def counts(backend: str | None, inputs: str) -> str:
    """A stand-in for the counts program that does not load a simulator: Bell-like counts for ``shots``."""
    import json

    shots = int(json.loads(inputs).get("shots", 100))
    return json.dumps({"counts": {"00": shots - shots // 3, "11": shots // 3}, "metadata": {}})
