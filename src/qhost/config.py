"""Server settings: defaults (one constant each, with units), then the environment, then explicit values.

Layering, lowest first:

1. the ``DEFAULT_*`` constants below;
2. the environment: ``QHOST_<FIELD>`` for every ``Settings`` field (``QHOST_PORT``, ``QHOST_API_KEYS`` …),
   plus the seed project's ``QRS_HOST``, ``QRS_PORT``, ``QRS_EXECUTOR``, ``QRS_LOG_LEVEL`` and
   ``QRS_GPU_DEVICE``
   (a ``QHOST_`` variable wins over its ``QRS_`` twin);
3. values passed explicitly (CLI flags, ``create_app(test_config=...)``).

List-valued variables (``QHOST_EXECUTORS``, ``QHOST_API_KEYS``, ``QHOST_ALLOWED_HOSTS`` …) are comma
separated.

May import: qhost.errors.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from qhost.errors import ConfigurationError

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_HOST",
    "DEFAULT_HTTP_MAX_CONNECTIONS",
    "DEFAULT_HTTP_THREADS",
    "DEFAULT_CONSOLE_SESSION_HOURS",
    "DEFAULT_MAX_HOLDS",
    "DEFAULT_THRIFT_MAX_BLOCK",
    "DEFAULT_THRIFT_MAX_BUFFERED_BYTES",
    "DEFAULT_LOG_LEVEL",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "DEFAULT_MAX_QUEUED",
    "DEFAULT_MAX_SHOTS",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_PORT",
    "DEFAULT_PROCESS_WORKERS",
    "DEFAULT_QRISP_BACKEND",
    "DEFAULT_RETENTION_DAYS",
    "DEFAULT_RETENTION_PARAMS_DAYS",
    "DEFAULT_THREAD_WORKERS",
    "DEFAULT_THRIFT_MAX_CONNECTIONS",
    "DEFAULT_THRIFT_THREADS",
    "ENV_PREFIX",
    "LEGACY_ENV",
    "Settings",
    "is_loopback",
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

LEGACY_ENV: dict[str, str] = {
    "QRS_HOST": "host",
    "QRS_PORT": "port",
    "QRS_EXECUTOR": "executors",
    "QRS_LOG_LEVEL": "log_level",
    "QRS_GPU_DEVICE": "gpu_device",
}
"""The seed project's environment names and the ``Settings`` field each one sets."""


@dataclass(frozen=True)
class Settings:
    """Everything a qhost server needs to know. Build one with ``Settings.from_env(**overrides)``.

    Attributes:
        host: interface to bind.
        port: HTTP port (0 picks a free one).
        data_dir: directory of the SQLite store (created on start).
        executors: executor names to offer (``None``: every registered one).
        log_level: logging level name.
        api_keys: accepted API keys; empty (and no ``admin_keys``) means authentication is off.
        thrift_port: port of the Thrift door; ``None`` disables it.
        qrisp_backend: default virtual backend of the Qrisp door.
        max_shots: upper bound on shots per circuit.
        max_body_bytes: upper bound on a request body in bytes.
        max_decompressed_bytes: upper bound on a decompressed payload in bytes.
        max_queued: bound of the job queue (queued + running).
        process_workers: worker processes for executor programs.
        thread_workers: threads for user ``run_func`` jobs.
        database_url: SQLAlchemy URL overriding ``sqlite:///<data_dir>/qhost.db``.
        broker_url: Redis URL; set, program jobs go through RQ to ``qhost worker`` processes (distributed
            mode, see ``interface_docs/deployment.md``); None keeps the embedded local workers.
        job_timeout: seconds after which a distributed worker kills a job; None for no limit.
        gpu_device: CUDA device ordinal for GPU executors.
        worker_mode: ``"process"`` (default) or ``"thread"`` (tests; no process spawn).
        max_wait: longest long-poll in seconds.
        http_threads: waitress request threads.
        http_max_connections: open HTTP connections served at once (further ones wait in the backlog).
        thrift_threads: Thrift door threads running calls.
        thrift_max_connections: open Thrift connections before new ones are refused.
        retention_days: days a finished job is kept, then deleted (0: forever).
        retention_params_days: days a finished job keeps its params, then they are dropped (0: forever).
        admin_keys: keys on every door too, whose holder also sees (and may cancel) every job in the console.
        console_secret: key signing console session cookies (``None``: one generated per data dir).
        metrics_token: bearer token ``GET /metrics`` accepts (``None``: open with auth off, else any key).
        metrics_enabled: serve ``GET /metrics`` at all.
        worker_memory_mb: address-space cap (``RLIMIT_AS``) of each worker process, in MiB; ``None``
            (``auto``, the default) sizes it from the machine (``qhost.engine.local.memory_floor``); ``0``
            (``off``) runs workers without a cap.
        allowed_hosts: ``Host`` names accepted besides IP literals and ``localhost`` (``*``: any; 421 else).
        cors_origins: origins allowed to read the HTTP doors' answers (CORS); empty: no CORS headers.
        trusted_proxy: address of a reverse proxy (or ``*``) whose ``X-Forwarded-Proto``/``-For`` are honoured
            (HTTPS behind it gives the console cookie ``Secure``); ``None``: such headers are dropped.
        max_holds: long-polls held at once over every door.
        thrift_max_block: longest wait of a blocking Thrift ``run``/``run_qasm``, in seconds.
        thrift_max_buffered_bytes: bytes of unanswered Thrift requests buffered over all connections.
        console_session_hours: lifetime of a console sign-in, in hours.
        no_auth: serve a non-loopback address with no keys (refused otherwise, see ``check_exposure``).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    executors: tuple[str, ...] | None = None
    log_level: str = DEFAULT_LOG_LEVEL
    api_keys: tuple[str, ...] = ()
    thrift_port: int | None = None
    qrisp_backend: str = DEFAULT_QRISP_BACKEND
    max_shots: int = DEFAULT_MAX_SHOTS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
    max_queued: int = DEFAULT_MAX_QUEUED
    process_workers: int = DEFAULT_PROCESS_WORKERS
    thread_workers: int = DEFAULT_THREAD_WORKERS
    database_url: str | None = None
    broker_url: str | None = None
    job_timeout: int | None = None
    gpu_device: int = 0
    worker_mode: str = "process"
    max_wait: float = DEFAULT_MAX_WAIT
    http_threads: int = DEFAULT_HTTP_THREADS
    http_max_connections: int = DEFAULT_HTTP_MAX_CONNECTIONS
    thrift_threads: int = DEFAULT_THRIFT_THREADS
    thrift_max_connections: int = DEFAULT_THRIFT_MAX_CONNECTIONS
    retention_days: float = DEFAULT_RETENTION_DAYS
    retention_params_days: float = DEFAULT_RETENTION_PARAMS_DAYS
    admin_keys: tuple[str, ...] = ()
    console_secret: str | None = None
    metrics_token: str | None = None
    metrics_enabled: bool = True
    worker_memory_mb: int | None = None
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    trusted_proxy: str | None = None
    max_holds: int = DEFAULT_MAX_HOLDS
    thrift_max_block: float = DEFAULT_THRIFT_MAX_BLOCK
    thrift_max_buffered_bytes: int = DEFAULT_THRIFT_MAX_BUFFERED_BYTES
    console_session_hours: float = DEFAULT_CONSOLE_SESSION_HOURS
    no_auth: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``QRS_*``, then ``QHOST_*`` variables of ``env`` (``os.environ``), then overrides.

        Raises:
            ConfigurationError: a variable or override cannot be converted to its field's type.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, field_name in LEGACY_ENV.items():
            if env.get(name):
                values[field_name] = env[name]
        for f in _fields():
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().replace(**values)

    def replace(self, **values: Any) -> Settings:
        """A copy with ``values`` converted to each field's type and set.

        Raises:
            ConfigurationError: unknown field or a value of the wrong form.
        """
        known = {f.name: f for f in _fields()}
        converted = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigurationError(f"Unknown setting {key!r}; valid: {sorted(known)}")
            converted[key] = _convert(key, value)
        return dataclasses.replace(self, **converted)

    @property
    def store_url(self) -> str:
        """The SQLAlchemy URL of the job store (``database_url`` or SQLite under ``data_dir``)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(Path(self.data_dir) / 'qhost.db').resolve()}"

    @property
    def auth_enabled(self) -> bool:
        """Every door asks for a key when any API key or admin key is configured."""
        return bool(self.api_keys or self.admin_keys)

    @property
    def console_auth_enabled(self) -> bool:
        """The console asks for a key when any API key or admin key is configured."""
        return self.auth_enabled

    def check_exposure(self) -> None:
        """Refuse to serve a non-loopback address with no keys unless ``no_auth`` says so explicitly.

        Raises:
            ConfigurationError: ``host`` is not loopback, no key is configured and ``no_auth`` is off.
        """
        if self.auth_enabled or self.no_auth or is_loopback(self.host):
            return
        raise ConfigurationError(
            f"Refusing to serve {self.host!r} (reachable from other machines) with no API key: anyone who "
            "can reach it could run jobs and read every result. Give keys (--api-key / QHOST_API_KEYS, "
            "--admin-key), bind 127.0.0.1, or pass --no-auth (QHOST_NO_AUTH=1) to serve without keys anyway"
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is this machine only: 127.0.0.0/8, ``::1``, ``localhost``."""
    name = host.strip().strip("[]")
    if name.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        found = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(ipaddress.ip_address(str(a).partition("%")[0]).is_loopback for a in found)


def _fields() -> list[dataclasses.Field[Any]]:
    return list(fields(Settings))


_INTS = {
    "port",
    "max_shots",
    "max_body_bytes",
    "max_decompressed_bytes",
    "max_queued",
    "process_workers",
    "thread_workers",
    "gpu_device",
    "http_threads",
    "http_max_connections",
    "thrift_threads",
    "thrift_max_connections",
    "max_holds",
    "thrift_max_buffered_bytes",
}
_AT_LEAST_ONE = {
    "http_threads",
    "http_max_connections",
    "thrift_threads",
    "thrift_max_connections",
    "max_holds",
    "thrift_max_buffered_bytes",
}
_POSITIVE_FLOATS = {"thrift_max_block", "console_session_hours"}
_LISTS = {"executors", "api_keys", "admin_keys", "allowed_hosts", "cors_origins"}
_BOOLS = {"metrics_enabled", "no_auth"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _convert(key: str, value: Any) -> Any:
    try:
        if key in _AT_LEAST_ONE and int(value) < 1:
            raise ValueError("must be at least 1")
        if key in _INTS:
            return int(value)
        if key in ("thrift_port", "job_timeout"):
            number = None if value in (None, "") else int(value)
            if key == "job_timeout" and number is not None and number < 1:
                raise ValueError("must be at least 1 second (leave it unset for no limit)")
            return number
        if key == "worker_memory_mb":
            return _memory_mb(value)
        if key == "max_wait":
            return float(value)
        if key in _POSITIVE_FLOATS:
            if not float(value) > 0:
                raise ValueError("must be a positive number")
            return float(value)
        if key in ("retention_days", "retention_params_days"):
            if float(value) < 0:
                raise ValueError("must be 0 (keep forever) or a positive number of days")
            return float(value)
        if key == "data_dir":
            return Path(value)
        if key in _LISTS:
            return _as_tuple(value)
        if key in _BOOLS:
            return _as_bool(value)
        if key in ("console_secret", "metrics_token", "trusted_proxy"):
            return None if value in (None, "") else str(value)
        if key == "log_level":
            return str(value).upper()
        if key == "worker_mode" and value not in ("process", "thread"):
            raise ValueError("valid: 'process', 'thread'")
        return value
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"Invalid value {value!r} for setting {key!r}: {exc}") from None


def _memory_mb(value: Any) -> int | None:
    """``auto``/None → None (sized from the machine), ``off`` → 0 (no cap), else MiB (at least 0)."""
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "auto"):
        return None
    if text == "off":
        return 0
    number = int(text)
    if number < 0:
        raise ValueError("must be 'auto', 'off' (or 0) or a number of MiB")
    return number


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"expected one of {list(_TRUE + _FALSE)}")


def _as_tuple(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(v) for v in value)
