"""A test program that reports progress one step at a time, each step waiting for a gate file.

Inputs: ``{"steps": n, "gates": "/dir"}``. Step ``i`` (1-based) waits until ``/dir/i`` exists, then reports
``i/n`` PUBs; so a test decides exactly when each report happens.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from qhost.programs.progress import report

__all__ = ["stepped"]


def stepped(backend: str | None, inputs: str) -> str:
    data = json.loads(inputs)
    steps, gates = int(data["steps"]), Path(data["gates"])
    for step in range(1, steps + 1):
        deadline = time.monotonic() + 60
        while not (gates / str(step)).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"gate {step} never opened")
            time.sleep(0.01)
        report(step, steps, "pubs")
    return json.dumps({"steps": steps})
