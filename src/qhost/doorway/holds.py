"""One cap on long-polls held at once, shared by every door over one engine.

A long-poll holds a thread while it waits for a job: the Qrisp door's ``?wait=``, the IBM door's status
hold, the Thrift door's ``result(timeout)``. Without a common bound, a few clients polling slow jobs take
every HTTP thread (16 ``?wait=`` polls did). ``hold(engine, settings, job_id, timeout, owner)`` waits only
when one of ``Settings.max_holds`` slots is free; a poll that finds them all taken answers at once with the
job's current state, so polls never starve other requests. The slots belong to the engine, so the main
port, the extra Qrisp ports (``qrisp_ports``) and the Thrift door, all over one engine, share them.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qhost.config import Settings
    from qhost.jobs.spec import JobRecord

__all__ = ["HoldCap", "hold_cap", "held_wait"]


class HoldCap:
    """``size`` slots; ``try_take()`` never blocks."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.held = 0

    def try_take(self) -> bool:
        if not self._free.acquire(blocking=False):
            return False
        with self._lock:
            self.held += 1
        return True

    def give(self) -> None:
        with self._lock:
            self.held -= 1
        self._free.release()


_CAPS: weakref.WeakKeyDictionary[Any, HoldCap] = weakref.WeakKeyDictionary()
_CAPS_LOCK = threading.Lock()


def hold_cap(engine: Any, settings: Settings) -> HoldCap:
    """The cap of ``engine`` (made with ``settings.max_holds`` slots by the first door that asks)."""
    with _CAPS_LOCK:
        cap = _CAPS.get(engine)
        if cap is None:
            cap = _CAPS[engine] = HoldCap(settings.max_holds)
        return cap


def held_wait(
    engine: Any,
    settings: Settings,
    job_id: str,
    timeout: float,
    owner: str | None,
    *,
    stuck_s: float | None = None,
) -> JobRecord:
    """The job after waiting up to ``timeout`` s for it to be final, if a slot is free; else at once.

    ``stuck_s``: return sooner when no worker can take the job (``JobEngine.wait``).
    """
    cap = hold_cap(engine, settings)
    if timeout <= 0 or not cap.try_take():
        return engine.get(job_id, owner=owner)  # type: ignore[no-any-return]
    try:
        return engine.wait(job_id, timeout, owner=owner, stuck_s=stuck_s)  # type: ignore[no-any-return]
    finally:
        cap.give()
