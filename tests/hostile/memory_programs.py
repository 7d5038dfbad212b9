"""Programs the memory-floor tests run in real worker processes (spawned workers import this module)."""

from __future__ import annotations

import json
import resource


def hog(backend: str | None, inputs: str) -> str:
    """Touch ``mib`` MiB of memory, page by page (a job that outgrows its worker's address-space cap)."""
    mib = int(json.loads(inputs)["mib"])
    block = bytearray(mib << 20)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    return json.dumps({"touched_mib": mib})


def address_space_limit(backend: str | None, inputs: str) -> str:
    """The worker's own ``RLIMIT_AS`` soft limit (-1: none)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return json.dumps({"limit": soft})
