"""The login throttle on a Flask app (the console's login form and ``POST /identity/token``): the throttle
itself is ``qhost.doorway.throttle``; this module keeps one per app and sets ``Retry-After`` on its 429s.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, g

from qhost.doorway.throttle import LoginThrottle, login_attempt
from qhost.errors import TooManyLogins

__all__ = ["install_login_throttle", "throttled_login"]

_EXTENSION = "qhost_login_throttle"


def install_login_throttle(app: Flask, throttle: LoginThrottle | None = None) -> LoginThrottle:
    """Give ``app`` its login throttle and the ``Retry-After`` header on throttled answers."""
    app.extensions[_EXTENSION] = throttle = throttle or LoginThrottle()
    app.after_request(_retry_after_header)
    return throttle


def _retry_after_header(response: Response) -> Response:
    seconds = g.get("qhost_retry_after")
    if seconds is not None and response.status_code == 429:
        response.headers["Retry-After"] = str(seconds)
    return response


@contextmanager
def throttled_login(app: Flask, address: str | None) -> Iterator[None]:
    """``login_attempt`` with ``app``'s throttle; a refusal also sets the answer's ``Retry-After``.

    Raises:
        TooManyLogins: the address failed too often lately (``retry_after`` seconds to wait).
    """
    try:
        with login_attempt(app.extensions.get(_EXTENSION), address):
            yield
    except TooManyLogins as exc:  # refused before the attempt (the block itself raises plain AuthErrors)
        g.qhost_retry_after = exc.retry_after
        raise
