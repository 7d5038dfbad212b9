"""Defaults and limits, one constant each (with units); plain Python, no import beyond the standard library.

The ``Settings`` declaration (``qhost.config.settings``) uses them as its defaults; code that needs a limit
without the settings (the IBM decoder's ``Limits``, a device's reported ``max_shots``, the executors' shot
check) imports it from here, so each number is written once.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DEFAULT_CONSOLE_SESSION_HOURS",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HOST",
    "DEFAULT_HTTP_MAX_CONNECTIONS",
    "DEFAULT_HTTP_THREADS",
    "DEFAULT_LOG_LEVEL",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "DEFAULT_MAX_HOLDS",
    "DEFAULT_MAX_QUEUED",
    "DEFAULT_MAX_SHOTS",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_PORT",
    "DEFAULT_PROCESS_WORKERS",
    "DEFAULT_QRISP_BACKEND",
    "DEFAULT_RETENTION_DAYS",
    "DEFAULT_RETENTION_PARAMS_DAYS",
    "DEFAULT_SHOTS",
    "DEFAULT_THREAD_WORKERS",
    "DEFAULT_THRIFT_MAX_BLOCK",
    "DEFAULT_THRIFT_MAX_BUFFERED_BYTES",
    "DEFAULT_THRIFT_MAX_CONNECTIONS",
    "DEFAULT_THRIFT_THREADS",
    "ENV_PREFIX",
]

ENV_PREFIX = "QHOST_"
"""Prefix of every environment variable qhost reads (``QHOST_PORT`` sets ``Settings.port``)."""

DEFAULT_HOST = "127.0.0.1"
"""Interface to bind. Loopback only unless told otherwise (Qrisp bound the LAN address by default)."""

DEFAULT_PORT = 8000
"""TCP port of the HTTP server (Qrisp REST + IBM Runtime REST)."""

DEFAULT_DATA_DIR = Path(".qhost")
"""Directory (relative to the working directory) holding the SQLite job store ``qhost.db``."""

DEFAULT_LOG_LEVEL = "INFO"
"""Python logging level name for the server."""

DEFAULT_QRISP_BACKEND = "ideal@aer"
"""Virtual backend the Qrisp door runs jobs on when the job names no ``deviceName``."""

DEFAULT_SHOTS = 1000
"""Shots a job runs when it asks for none (``shots=None``), capped by the shots limit."""

DEFAULT_MAX_SHOTS = 1_000_000
"""Largest ``shots`` a job may ask for (shots per circuit)."""

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
"""Largest HTTP request body in bytes (16 MiB); larger bodies get a JSON 413."""

DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024
"""Largest decompressed payload in bytes (64 MiB) for front doors that accept compressed blobs."""

DEFAULT_MAX_QUEUED = 1000
"""Most jobs queued or running at once; further submits get ``QueueFull`` (503)."""

DEFAULT_PROCESS_WORKERS = max(1, min(4, os.cpu_count() or 1))
"""Warm worker processes running executor programs (``counts``, ``sampler``, ``estimator``)."""

DEFAULT_THREAD_WORKERS = 8
"""Threads running user ``run_func`` jobs (Qrisp-style callables)."""

DEFAULT_HTTP_THREADS = 16
"""waitress request threads (long-polls hold one each while they wait)."""

DEFAULT_MAX_WAIT = 30.0
"""Longest long-poll (``?wait=<seconds>``) a request may block, in seconds."""

DEFAULT_HTTP_MAX_CONNECTIONS = 1000
"""Open HTTP connections served at once (waitress's default, 100, let 100 stalled clients block the door)."""

DEFAULT_THRIFT_THREADS = 16
"""Thrift door threads running calls (idle connections hold none)."""

DEFAULT_THRIFT_MAX_CONNECTIONS = 1024
"""Open Thrift connections; a further one is refused with a ``queue_full`` error."""

DEFAULT_RETENTION_DAYS = 30.0
"""Days a finished job (its result and everything else) is kept after it finished; then it is deleted."""

DEFAULT_RETENTION_PARAMS_DAYS = 7.0
"""Days a finished job keeps its params (circuits, options); then only its result and metadata remain."""

DEFAULT_MAX_HOLDS = 8
"""Long-polls held at once over every door (Qrisp ``?wait=``, IBM status holds, Thrift ``result(timeout)``);
a poll that finds them all taken answers at once with the job's current state."""

DEFAULT_THRIFT_MAX_BLOCK = 600.0
"""Longest a blocking Thrift ``run``/``run_qasm`` waits for its job, in seconds (then it is cancelled)."""

DEFAULT_THRIFT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024
"""Bytes of unanswered Thrift requests buffered over all connections (beyond each one's first 64 KiB)."""

DEFAULT_CONSOLE_SESSION_HOURS = 12.0
"""Lifetime of a console sign-in (the session cookie's ``Max-Age`` and its server-side expiry), in hours."""
