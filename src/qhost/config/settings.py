"""The one declaration of qhost's settings (pydantic-settings): type, default, variables, flag, meaning.

Layering, lowest first:

1. the defaults declared here (constants in ``qhost.config.defaults``);
2. the environment: ``QHOST_<FIELD>`` for every field (``QHOST_PORT``, ``QHOST_API_KEYS`` …), plus the seed
   project's ``QRS_HOST``, ``QRS_PORT``, ``QRS_EXECUTOR``, ``QRS_LOG_LEVEL`` and ``QRS_GPU_DEVICE`` (a
   ``QHOST_`` variable wins over its ``QRS_`` twin; an empty variable counts as unset);
3. values passed explicitly (CLI flags, ``create_app(test_config=...)``).

``Settings(**values)`` is the defaults and ``values``; ``Settings.from_env(env, **overrides)`` adds the
environment (``os.environ`` unless ``env`` is given) below the overrides. ``interface_docs/configuration.md``
and the flags of ``qhost serve`` / ``qhost worker`` are checked against this declaration
(``tests/docs/test_configuration_doc.py``, ``tests/qrisp/test_cli_flags.py``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from qhost.config import declared, defaults
from qhost.config.declared import setting
from qhost.config.values import (
    AtLeastOne,
    Days,
    LevelName,
    MemoryMiB,
    Names,
    OptionalNames,
    OptionalPath,
    OptionalSeconds,
    OptionalText,
    Positive,
    Switch,
    Words,
    WorkerMode,
)
from qhost.errors import ConfigurationError

__all__ = ["Settings", "is_loopback"]

_SEC = "security.md"


class Settings(BaseSettings):
    """Everything a qhost server needs to know. Build one with ``Settings.from_env(**overrides)``.

    Each field's meaning is its ``description`` (``Settings.model_fields[name].description``), the text
    ``interface_docs/configuration.md`` shows.
    """

    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=False)

    host: str = setting(
        defaults.DEFAULT_HOST,
        "interface to bind; loopback unless told otherwise (a non-loopback address needs a key or "
        "`--no-auth`)",
        flag="--host",
        legacy="QRS_HOST",
    )
    no_auth: Switch = setting(
        False,
        "serve a non-loopback `--host` with no key (refused otherwise; the Docker image sets it, "
        f"[Security]({_SEC}#keys-and-owners))",
        flag="--no-auth",
    )
    port: int = setting(
        defaults.DEFAULT_PORT,
        "HTTP port (Qrisp REST + IBM Runtime REST); 0 = a free port",
        flag="--port",
        legacy="QRS_PORT",
    )
    data_dir: Path = setting(
        defaults.DEFAULT_DATA_DIR,
        "directory of the SQLite job store `qhost.db`, the token secret, and the per-install cache where the "
        "user cache dir cannot be written (`cache/`)",
        flag="--data-dir",
    )
    cache_dir: OptionalPath = setting(
        None,
        "per-install cache of device calibrations and the device list, shared by every data dir of the user "
        "(so `BackendServer`'s temporary ones start warm too), rebuilt when qiskit / qiskit-aer / "
        "qiskit-ibm-runtime versions change; the first start of an install builds it (about 5 s), later "
        "starts read it",
        shown="`$XDG_CACHE_HOME/qhost` (`~/.cache/qhost`), else `<data dir>/cache`",
    )
    xdg_cache_home: OptionalPath = setting(
        None,
        "the user's cache root (the XDG standard's variable, not qhost's own); the default cache dir is "
        "`qhost` under it",
        env="XDG_CACHE_HOME",
        shown="`~/.cache`",
    )
    executors: OptionalNames = setting(
        None,
        "executors to offer, e.g. `aer,ddsim`",
        flag="--executors",
        legacy="QRS_EXECUTOR",
        comma_flag=True,
        shown="all registered",
    )
    log_level: LevelName = setting(
        defaults.DEFAULT_LOG_LEVEL,
        "`DEBUG`, `INFO`, `WARNING`, `ERROR`: for qhost and waitress; other libraries (qiskit, Aer) log at "
        "`WARNING` unless `DEBUG`",
        flag="--log-level",
        legacy="QRS_LOG_LEVEL",
    )
    api_keys: Names = setting(
        (),
        "accepted API keys; none (and no admin key) = authentication off "
        f"([Security]({_SEC}#keys-and-owners))",
        flag="--api-key",
    )
    admin_keys: Names = setting(
        (),
        "keys on every door that also see and may cancel every job in the [console](console.md)",
        flag="--admin-key",
    )
    console_secret: OptionalText = setting(
        None,
        "key signing console session cookies; set the same value on every server behind one address",
        shown="generated in the data dir",
    )
    metrics_token: OptionalText = setting(
        None,
        "bearer token `GET /metrics` accepts; without it `/metrics` is open with no keys and needs an API "
        "key "
        "with keys ([Console and metrics](console.md))",
        flag="--metrics-token",
    )
    metrics_enabled: Switch = setting(True, "serve `GET /metrics` at all", flag="--metrics/--no-metrics")
    thrift_port: int | None = setting(
        None, "serve the Thrift door on this port", flag="--thrift-port", shown="off"
    )
    thrift_threads: AtLeastOne = setting(
        defaults.DEFAULT_THRIFT_THREADS, "Thrift threads running calls (an idle connection holds none)"
    )
    thrift_max_connections: AtLeastOne = setting(
        defaults.DEFAULT_THRIFT_MAX_CONNECTIONS,
        "open Thrift connections; a further one gets a `queue_full` error and is closed",
    )
    qrisp_backend: str = setting(
        defaults.DEFAULT_QRISP_BACKEND,
        "backend of Qrisp jobs that name no `deviceName`",
        flag="--qrisp-backend",
    )
    qrisp_ports: Words = setting(
        (),
        "extra Qrisp-style ports `BACKEND=PORT`, one default backend each (below); comma or space separated",
        flag="--qrisp-port",
    )
    max_shots: int = setting(
        defaults.DEFAULT_MAX_SHOTS, "largest shots per circuit (also read by the worker processes)"
    )
    max_body_bytes: int = setting(
        defaults.DEFAULT_MAX_BODY_BYTES,
        "largest HTTP request body; larger gets a JSON 413",
        shown="`16777216` (16 MiB)",
    )
    max_decompressed_bytes: int = setting(
        defaults.DEFAULT_MAX_DECOMPRESSED_BYTES,
        "largest decompressed payload per request (IBM door blobs)",
        shown="`67108864` (64 MiB)",
    )
    max_queued: int = setting(
        defaults.DEFAULT_MAX_QUEUED, "most jobs queued or running; further submits get 503 `queue_full`"
    )
    process_workers: int = setting(
        defaults.DEFAULT_PROCESS_WORKERS,
        "warm worker processes running executor programs",
        shown="min(4, CPUs)",
    )
    thread_workers: int = setting(defaults.DEFAULT_THREAD_WORKERS, "threads running user `run_func` jobs")
    http_threads: AtLeastOne = setting(
        defaults.DEFAULT_HTTP_THREADS, "waitress request threads (each long-poll holds one)"
    )
    http_max_connections: AtLeastOne = setting(
        defaults.DEFAULT_HTTP_MAX_CONNECTIONS,
        "open HTTP connections served at once; a connection silent for 30 s is closed",
    )
    max_wait: float = setting(defaults.DEFAULT_MAX_WAIT, "longest long-poll (`?wait=<seconds>`) in seconds")
    max_holds: AtLeastOne = setting(
        defaults.DEFAULT_MAX_HOLDS,
        "long-polls held at once over every door (Qrisp `?wait=`, IBM status holds, Thrift "
        "`result(timeout)`); a poll that finds them all taken answers at once "
        f"([Waiting]({_SEC}#waiting-long-polls-and-blocking-calls))",
        flag="--max-holds",
    )
    allowed_hosts: Names = setting(
        (),
        "`Host` names the HTTP doors answer to besides IP literals, `localhost` and `--host`; `.example.org` "
        "matches its subdomains; `*` turns the check off; others get 421 "
        f"([Browser safety]({_SEC}#browser-safety))",
        flag="--allowed-host",
    )
    cors_origins: Names = setting(
        (),
        "origins allowed to read the HTTP doors' answers (CORS); `*` for any; none = no CORS headers",
        flag="--cors-origin",
    )
    trusted_proxy: OptionalText = setting(
        None,
        "address of a reverse proxy (or `*`) whose `X-Forwarded-Proto`/`-For` are honoured (HTTPS there "
        "makes "
        "the console cookie `Secure`)",
        flag="--trusted-proxy",
    )
    console_session_hours: Positive = setting(
        defaults.DEFAULT_CONSOLE_SESSION_HOURS,
        "lifetime of a console sign-in in hours; logout and a removed key end it on the server "
        f"([Console sessions]({_SEC}#console-sessions))",
        flag="--console-session-hours",
    )
    thrift_max_block: Positive = setting(
        defaults.DEFAULT_THRIFT_MAX_BLOCK,
        "longest blocking Thrift `run`/`run_qasm` in seconds; then the job is cancelled",
        flag="--thrift-max-block",
    )
    thrift_max_buffered_bytes: AtLeastOne = setting(
        defaults.DEFAULT_THRIFT_MAX_BUFFERED_BYTES,
        "bytes of unanswered Thrift requests buffered over all connections beyond 64 KiB each; a connection "
        "past it gets `queue_full`",
        shown="`67108864` (64 MiB)",
    )
    database_url: OptionalText = setting(
        None,
        "SQLAlchemy URL of another job store (PostgreSQL: `postgresql+psycopg://user:pw@host/db`)",
        flag="--database-url",
        worker_flag="--database-url",
        shown="SQLite in the data dir",
    )
    broker_url: OptionalText = setting(
        None,
        "Redis URL: program jobs go through RQ to `qhost worker` processes ([Deployment](deployment.md))",
        flag="--broker",
        worker_flag="--broker",
        shown="off",
    )
    wait_for_services: float = setting(
        0.0,
        "seconds a worker keeps retrying (backoff, logged) while the broker or database does not answer yet; "
        "0: one try, then exit",
        worker_flag="--wait-for-services",
    )
    job_timeout: OptionalSeconds = setting(
        None, "with `--broker`: seconds after which a worker kills a job", flag="--job-timeout"
    )
    programs: Names = setting(
        (),
        "extra programs `name=module:function`, comma separated (each worker machine needs them too)",
    )
    gpu_device: int = setting(0, "CUDA device ordinal for `custatevec`", legacy="QRS_GPU_DEVICE")
    worker_mode: WorkerMode = setting(
        "process",
        "`process`, or `thread` (tests: no process spawn; programs then run in the server's own memory, with "
        "no cap: not for shared servers)",
    )
    max_memory_mb: int | None = setting(
        None,
        "cap on a simulator state in MiB (Aer, Qulacs memory checks); a worker with an address-space cap "
        "sets "
        "it to that cap less its overhead when unset",
        shown="90 % of available memory",
    )
    worker_memory_mb: MemoryMiB = setting(
        None,
        "address-space cap (`RLIMIT_AS`) of each worker process in MiB; `auto` = ¾ of physical memory shared "
        "by the worker processes, plus 2 GiB + 128 MiB per core of unused address space; `off` (or `0`) = no "
        f"cap ([Sizes and memory]({_SEC}#sizes-and-memory))",
        flag="--worker-memory-mb",
        worker_flag="--worker-memory-mb",
        shown="`auto`",
    )
    retention_days: Days = setting(
        defaults.DEFAULT_RETENTION_DAYS,
        "days a finished job is kept after it finished, then deleted with its result; `0` = forever "
        f"([Retention]({_SEC}#retention))",
    )
    retention_params_days: Days = setting(
        defaults.DEFAULT_RETENTION_PARAMS_DAYS,
        "days a finished job keeps its params (circuits, options); then only status, result and error "
        "remain; "
        "`0` = forever",
    )

    def __init__(self, **values: Any) -> None:
        """The defaults with ``values`` set (no environment: see ``from_env``).

        Raises:
            ConfigurationError: an unknown setting or a value of the wrong form.
        """
        unknown = sorted(set(values) - set(type(self).model_fields))
        if unknown:
            raise ConfigurationError(
                f"Unknown setting {unknown[0]!r}; valid: {sorted(type(self).model_fields)}"
            )
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise declared.configuration_error(exc, type(self).model_fields, _ORIGIN.get()) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit values over the environment ``from_env`` lends (none for a plain ``Settings(...)``)."""
        return (init_settings, declared.EnvironmentSource(settings_cls, _ORIGIN))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``QRS_*``, then ``QHOST_*`` variables of ``env`` (``os.environ``), then overrides.

        Overrides that are None are left out (an absent flag).

        Raises:
            ConfigurationError: a variable or override cannot be converted to its field's type.
        """
        with _ORIGIN.lend(env):
            return cls(**{k: v for k, v in overrides.items() if v is not None})

    def replace(self, **values: Any) -> Settings:
        """A copy with ``values`` converted to each field's type and set.

        Raises:
            ConfigurationError: unknown field or a value of the wrong form.
        """
        current = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**{**current, **values})

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


_ORIGIN = declared.Origin()


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
