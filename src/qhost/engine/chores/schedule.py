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
    failures: RepeatingFailure | None = field(default=None, init=False, repr=False)

    def failed(self) -> None:
        """Log the exception being handled (see ``RepeatingFailure``); ``fn`` is named only now."""
        if self.failures is None:  # not at creation: a bound method's repr is its object's, maybe half-built
            self.failures = RepeatingFailure(log, f"dispatcher: housekeeping {self.fn!r} failed")
        self.failures.failed()

    def succeeded(self) -> None:
        if self.failures is not None:
            self.failures.succeeded()


def run_due(chores: Iterable[Chore]) -> None:
    """Call every chore whose period has passed since its last call."""
    now = time.monotonic()
    for chore in [c for c in chores if now - c.last >= c.every_s]:
        chore.last = now
        try:
            chore.fn()
        except Exception:
            chore.failed()
        else:
            chore.succeeded()
