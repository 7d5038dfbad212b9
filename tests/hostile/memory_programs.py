"""Programs the memory-floor tests run in real worker processes (spawned workers import this module)."""

from __future__ import annotations

import json
import resource


def hog(backend: str | None, inputs: str) -> str:
    """Allocate ``mib`` MiB at once: a job that outgrows its worker's address-space cap.

    Without a cap it allocates nothing and says so (a worker with no cap would really take the memory,
    which on a shared test machine must not happen).
    """
    mib = int(json.loads(inputs)["mib"])
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return json.dumps({"uncapped": True})
    block = bytearray(mib << 20)
    return json.dumps({"allocated_mib": len(block) >> 20})


def address_space_limit(backend: str | None, inputs: str) -> str:
    """The worker's own ``RLIMIT_AS`` soft limit (-1: none)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return json.dumps({"limit": soft})
