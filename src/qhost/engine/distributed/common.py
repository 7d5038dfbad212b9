"""What the server and the workers of the distributed mode share: Redis keys, queues, the safe job class.

Distributed mode (``qhost serve --broker redis://…``) dispatches through RQ on Redis; the SQL store stays
the truth about every job. Only the job id travels through Redis: the RQ job id *is* the qhost job id,
its one argument is that id again, and the worker reads inputs from and writes results to SQL.

Redis is a shared surface, so nothing read from it is trusted to name code: jobs are (de)serialized with
RQ's ``JSONSerializer`` (never pickle), and ``SafeJob`` refuses to resolve any function other than
``RUN_JOB`` and any success/failure/stopped callback (RQ imports those by name, in the worker *and* in
whoever cleans a registry). Anyone who can write to Redis can still enqueue job ids, which the worker
then looks up in SQL: at worst a queued job runs sooner, never code of the writer's choosing.
"""

from __future__ import annotations

import re
import socket
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from qhost.errors import ConfigurationError

__all__ = [
    "DONE_CHANNEL",
    "FAILURE_TTL_S",
    "RESULT_TTL_S",
    "RUN_JOB",
    "SERVER_KEY",
    "WORKER_INFO_PREFIX",
    "SafeJob",
    "connect_broker",
    "enqueue",
    "host_name",
    "make_queue",
    "queue_name",
    "redact_url",
    "software_versions",
]

RUN_JOB = "qhost.engine.distributed.worker.run_job"
"""The only function a qhost worker runs; its one argument is the job id."""

DONE_CHANNEL = "qhost:job-done"
"""Pub/sub channel a worker publishes a job id on once it wrote the job's outcome to SQL."""

SERVER_KEY = "qhost:server"
"""Hash the server writes at start: its qhost and qiskit versions (workers compare theirs)."""

WORKER_INFO_PREFIX = "qhost:worker:"
"""Hash per worker (``qhost:worker:<name>``): gpu, versions, jobs done; expires with the worker."""

RESULT_TTL_S = 300
"""Seconds RQ keeps a finished job's hash. Results live in SQL; this only aids inspection with RQ tools."""

FAILURE_TTL_S = 7 * 24 * 3600
"""Seconds RQ keeps a failed/stopped job (its traceback helps diagnose a worker; SQL holds the reason)."""

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


class SafeJob(Job):
    """An RQ job that never imports code named in Redis (see the module docstring)."""

    def check_call(self) -> str:
        """The qhost job id this RQ job carries; ``ConfigurationError`` when it names anything else."""
        if self.func_name != RUN_JOB:
            raise ConfigurationError(
                f"Refusing RQ job {self.id}: it names function {self.func_name!r}; "
                f"qhost workers run only {RUN_JOB!r}"
            )
        args = self.args
        if len(args) != 1 or not isinstance(args[0], str) or not _JOB_ID.match(args[0]) or self.kwargs:
            raise ConfigurationError(f"Refusing RQ job {self.id}: its arguments are not one qhost job id")
        return str(args[0])

    @property
    def func(self) -> Any:
        """Never resolved here (the worker's subclass returns ``run_job`` after ``check_call``)."""
        self.check_call()
        raise ConfigurationError(f"RQ job {self.id}: this process does not run qhost jobs")

    @property
    def success_callback(self) -> None:
        return None

    @property
    def failure_callback(self) -> None:
        return None

    @property
    def stopped_callback(self) -> None:
        return None


_SECRET_PARAMS = frozenset({"password", "passwd", "pass", "pwd", "secret", "token", "sslpassword"})
"""Query parameters whose values ``redact_url`` hides (``redis://h/0?password=…`` is a Redis URL form)."""


def redact_url(url: str) -> str:
    """``url`` with any password (in the user part or a ``?password=`` query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable URL>"
    if parts.password is not None:
        user = parts.username or ""
        host = parts.hostname or ""
        parts = parts._replace(netloc=f"{user}:***@{host}{port}")
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(name.lower() in _SECRET_PARAMS for name, _ in pairs):
            hidden = [(n, "***" if n.lower() in _SECRET_PARAMS else v) for n, v in pairs]
            parts = parts._replace(query=urlencode(hidden, safe="*"))
    return urlunsplit(parts)


def connect_broker(url: str, *, check: bool = True) -> Any:
    """A Redis client for ``url`` (``redis://``, ``rediss://`` or ``unix://``), pinged once when ``check``.

    Raises:
        ConfigurationError: the URL is malformed, the server cannot be reached, or it refuses the password;
            the message names the URL without its password.
    """
    shown = redact_url(url)
    try:
        conn = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"Invalid broker URL {shown}: {exc}") from None
    if not check:
        return conn
    try:
        conn.ping()
    except redis.AuthenticationError as exc:
        hint = (
            "" if urlsplit(url).password else "; add the password to the URL (redis://:PASSWORD@host:port/0)"
        )
        raise ConfigurationError(f"Broker {shown} refused the credentials: {exc}{hint}") from None
    except redis.ResponseError as exc:
        hint = "; add the password to the URL (redis://:PASSWORD@host:port/0)" if "NOAUTH" in str(exc) else ""
        raise ConfigurationError(f"Broker {shown} refused the connection: {exc}{hint}") from None
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise ConfigurationError(f"Cannot reach the broker {shown}: {exc}") from None
    return conn


def queue_name(backend: str | None) -> str:
    """The RQ queue of a backend: its executor (``fake_manila@aer`` -> ``aer``)."""
    executor = (backend or "").partition("@")[2]
    if not executor:
        raise ConfigurationError(
            f"Backend {backend!r} names no executor ('<device>@<executor>'); cannot pick a queue"
        )
    return executor


def make_queue(conn: Any, name: str) -> Any:
    """The RQ queue ``name`` with the JSON serializer and the safe job class."""
    return Queue(name, connection=conn, serializer=JSONSerializer, job_class=SafeJob)


def enqueue(conn: Any, job_id: str, queue: str, job_timeout: int | None = None) -> None:
    """Put qhost job ``job_id`` on RQ queue ``queue`` (RQ job id = qhost job id; only the id travels).

    ``job_timeout`` None means no limit (RQ's own default would kill a job after 180 s). Enqueueing an id
    twice is harmless: the worker claims a job in SQL (QUEUED -> RUNNING) and skips one it cannot claim.
    """
    make_queue(conn, queue).enqueue_call(
        RUN_JOB,
        args=(job_id,),
        job_id=job_id,
        timeout=-1 if job_timeout is None else job_timeout,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        ttl=None,
        description=f"qhost job {job_id}",
    )


def software_versions() -> dict[str, str]:
    """The qhost and qiskit versions of this process (workers and server must agree)."""
    out = {}
    for package in ("qhost", "qiskit"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "unknown"
    return out


def host_name() -> str:
    return socket.gethostname()
