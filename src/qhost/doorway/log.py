"""One access-log line per request, on every door: door, method, path, status, milliseconds, owner id.

Logged at INFO on the ``qhost.access`` logger, e.g.::

    qrisp POST /jobs 201 3.2ms owner=key-5f1c2b0e9a7d4c31
    thrift CALL run_qasm 400 1.1ms owner=-

The owner is the id ``qhost.doorway.keys.owner_of_key`` derives from the key (an HMAC prefix), never the
key or a token; the path is logged without its query string. Route it with ordinary logging config. The
HTTP doors log through ``qhost.server.access_log``, the Thrift door through ``qhost.thrift.server``.
"""

from __future__ import annotations

import logging

__all__ = ["log_access"]

log = logging.getLogger("qhost.access")


def log_access(door: str, method: str, path: str, status: int | str, ms: float, owner: str | None) -> None:
    log.info("%s %s %s %s %.1fms owner=%s", door, method, path, status, ms, owner or "-")
