"""Housekeeping chores: periodic calls the engine's dispatcher thread makes (``JobEngine.every``).

One chore's exception is logged and never stops the others; the chore runs again when next due.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Chore", "run_due"]

log = logging.getLogger(__name__)


@dataclass
class Chore:
    """A periodic housekeeping call made by the dispatcher thread (see ``JobEngine.every``)."""

    fn: Callable[[], object]
    every_s: float
    last: float = 0.0


def run_due(chores: Iterable[Chore]) -> None:
    """Call every chore whose period has passed since its last call."""
    now = time.monotonic()
    for chore in [c for c in chores if now - c.last >= c.every_s]:
        chore.last = now
        try:
            chore.fn()
        except Exception:
            log.exception("dispatcher: housekeeping %r failed", chore.fn)
