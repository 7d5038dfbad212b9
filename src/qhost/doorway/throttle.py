"""Failed logins throttled per client address (the console's login form and ``POST /identity/token``).

After ``failures`` failed logins from one address within ``window`` seconds, further logins from that
address, right or wrong, are refused with ``TooManyLogins`` (429, ``Retry-After``) until the window ends,
so keys cannot be guessed online faster than ``failures`` per ``window``. A successful login is not slowed
and forgets the address's failures. The table holds at most ``max_clients`` addresses (the oldest entry is
dropped first), so its memory is bounded whatever the number of clients.

No web framework here: ``login_attempt`` serves any door; ``qhost.server.throttle`` installs a throttle on a
Flask app and adds the ``Retry-After`` header.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from qhost.errors import AuthError, TooManyLogins

__all__ = [
    "LOGIN_FAILURES",
    "LOGIN_WINDOW",
    "MAX_CLIENTS",
    "LoginThrottle",
    "login_attempt",
]

LOGIN_FAILURES = 10
"""Failed logins one address may make per window before it is refused (429)."""
LOGIN_WINDOW = 300.0
"""Seconds of the window failed logins are counted in (and the longest an address waits)."""
MAX_CLIENTS = 10_000
"""Addresses the throttle remembers at once (least recently failing dropped first)."""


class LoginThrottle:
    """Counts failed logins per address in fixed windows; thread-safe, bounded."""

    def __init__(
        self,
        failures: int = LOGIN_FAILURES,
        window: float = LOGIN_WINDOW,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures, self.window, self.max_clients, self.clock = failures, window, max_clients, clock
        self._table: OrderedDict[str, tuple[int, float]] = OrderedDict()  # address -> (failures, since)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._table)

    def retry_after(self, address: str) -> float:
        """Seconds until ``address`` may try again; 0 when it may now."""
        with self._lock:
            entry = self._table.get(address)
            if entry is None:
                return 0.0
            count, since = entry
            left = since + self.window - self.clock()
            if left <= 0:
                del self._table[address]
                return 0.0
            return left if count >= self.failures else 0.0

    def failed(self, address: str) -> None:
        with self._lock:
            now = self.clock()
            count, since = self._table.pop(address, (0, now))
            if now - since >= self.window:
                count, since = 0, now
            self._table[address] = (count + 1, since)
            while len(self._table) > self.max_clients:
                self._table.popitem(last=False)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._table.pop(address, None)


@contextmanager
def login_attempt(throttle: LoginThrottle | None, address: str | None) -> Iterator[None]:
    """Run a login attempt from ``address``: refused at once when the address is throttled; an
    ``AuthError`` from the block counts as a failure, a normal exit as a success. ``None``: no throttle.

    Raises:
        TooManyLogins: the address failed too often lately (``retry_after`` seconds to wait).
    """
    if throttle is None:
        yield
        return
    client = address or "-"
    wait = throttle.retry_after(client)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise TooManyLogins(
            f"Too many failed logins from this address ({throttle.failures} in {throttle.window:g} s); "
            f"retry in {seconds} s",
            retry_after=seconds,
        )
    try:
        yield
    except AuthError:
        throttle.failed(client)
        raise
    throttle.succeeded(client)
