"""Logging a failure that recurs on every pass of a loop without flooding the log.

The dispatcher retries claims every second and runs housekeeping every few seconds; when the cause
lasts (a full disk, an unreachable database) each pass fails the same way. ``RepeatingFailure`` logs
the first failure with its traceback, then at most one line per ``every_s`` saying how often it
failed since, and one line when the loop works again. A different error is logged in full at once.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

__all__ = ["RepeatingFailure"]


class RepeatingFailure:
    """The log of one loop's failures (``failed`` from inside ``except``; ``succeeded`` after a pass).

    Args:
        log: where to log.
        what: what failed, e.g. ``"dispatcher: error while claiming jobs"``.
        every_s: the least time between two lines about the same failure.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.what, self.every_s, self.clock = log, what, every_s, clock
        self._key: tuple[type[BaseException], str] | None = None
        self._repeats = 0
        self._since = 0.0
        self._next = 0.0

    def failed(self) -> None:
        """Log the exception being handled: in full if it is new, else only when ``every_s`` has passed."""
        exc = sys.exc_info()[1]
        key = (type(exc), str(exc)) if exc is not None else (BaseException, "")
        now = self.clock()
        if key != self._key:
            self._key, self._repeats, self._since, self._next = key, 0, now, now + self.every_s
            self.log.exception("%s", self.what)
            return
        self._repeats += 1
        if now >= self._next:
            self.log.error(
                "%s: failed %d more times in %.0f s, the same way: %s: %s",
                self.what, self._repeats, now - self._since, key[0].__name__, key[1],
            )  # fmt: skip
            self._repeats, self._since, self._next = 0, now, now + self.every_s

    def succeeded(self) -> None:
        """The loop's pass worked: say so once if it had been failing."""
        if self._key is None:
            return
        self._key = None
        self.log.warning("%s: working again", self.what)
