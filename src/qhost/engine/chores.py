"""Housekeeping chores: periodic calls the engine's dispatcher thread makes (``JobEngine.every``).

One chore's exception is logged and never stops the others; the chore runs again when next due. A chore
that keeps failing the same way is logged in full once, then once a minute (``RepeatingFailure``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from qhost.engine.repeats import RepeatingFailure

__all__ = ["Chore", "run_due"]

log = logging.getLogger(__name__)


@dataclass
class Chore:
    """A periodic housekeeping call made by the dispatcher thread (see ``JobEngine.every``)."""

    fn: Callable[[], object]
    every_s: float
    last: float = 0.0
    failures: RepeatingFailure = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.failures = RepeatingFailure(log, f"dispatcher: housekeeping {self.fn!r} failed")


def run_due(chores: Iterable[Chore]) -> None:
    """Call every chore whose period has passed since its last call."""
    now = time.monotonic()
    for chore in [c for c in chores if now - c.last >= c.every_s]:
        chore.last = now
        try:
            chore.fn()
        except Exception:
            chore.failures.failed()
        else:
            chore.failures.succeeded()
