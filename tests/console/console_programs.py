"""Programs the console tests run in thread mode (same process, so an Event can hold a job)."""

from __future__ import annotations

import threading

GATE = threading.Event()


def gated(backend: str | None, inputs: str) -> str:
    """Hold its worker until ``GATE`` is set (at most 30 s)."""
    GATE.wait(30)
    return '{"counts": {"0": 1}}'
