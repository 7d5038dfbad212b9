"""``qhost serve``: the server until SIGTERM / SIGINT.

Every ``serve`` option also reads its environment variable (``QHOST_PORT`` …, and the seed's ``QRS_HOST``,
``QRS_PORT``, ``QRS_EXECUTOR``, ``QRS_LOG_LEVEL``, ``QRS_GPU_DEVICE``); a flag wins over the environment.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from qhost.cli.util import configure_logging, settings_from
from qhost.config import DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_QRISP_BACKEND, Settings
from qhost.errors import QhostError

__all__ = ["serve"]


@click.command()
@click.option(
    "--host", default=None, help=f"Interface to bind [env QHOST_HOST, QRS_HOST; default {DEFAULT_HOST}]."
)
@click.option(
    "--port",
    type=int,
    default=None,
    help=f"HTTP port; 0 picks a free one [env QHOST_PORT, QRS_PORT; default {DEFAULT_PORT}].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Directory of the SQLite job store [env QHOST_DATA_DIR; default {DEFAULT_DATA_DIR}].",
)
@click.option(
    "--broker",
    "broker_url",
    default=None,
    help="Redis URL; dispatch program jobs through RQ to `qhost worker` processes [env QHOST_BROKER_URL].",
)
@click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL of the job store (PostgreSQL with --broker) [env QHOST_DATABASE_URL].",
)
@click.option(
    "--job-timeout",
    type=int,
    default=None,
    help="With --broker: seconds after which a worker kills a job [env QHOST_JOB_TIMEOUT; default none].",
)
@click.option(
    "--executors",
    default=None,
    help="Comma-separated executors to offer [env QHOST_EXECUTORS, QRS_EXECUTOR; default all].",
)
@click.option(
    "--log-level",
    default=None,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Logging level [env QHOST_LOG_LEVEL, QRS_LOG_LEVEL; default INFO].",
)
@click.option(
    "--qrisp-backend",
    default=None,
    help=f"Default backend of the Qrisp door [env QHOST_QRISP_BACKEND; default {DEFAULT_QRISP_BACKEND}].",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    help="Accepted API key (repeatable); none = no authentication [env QHOST_API_KEYS, comma-separated].",
)
@click.option(
    "--admin-key",
    "admin_keys",
    multiple=True,
    help="Key on every door that also sees and may cancel every job in the console (repeatable) "
    "[env QHOST_ADMIN_KEYS].",
)
@click.option(
    "--no-auth",
    "no_auth",
    is_flag=True,
    default=None,
    help="Serve a non-loopback --host with no key (refused otherwise) [env QHOST_NO_AUTH=1].",
)
@click.option(
    "--metrics-token",
    default=None,
    help="Bearer token GET /metrics accepts [env QHOST_METRICS_TOKEN; default: open without keys, "
    "any key with keys].",
)
@click.option(
    "--metrics/--no-metrics",
    "metrics_enabled",
    default=None,
    help="Serve GET /metrics (Prometheus) [env QHOST_METRICS_ENABLED; default on].",
)
@click.option(
    "--worker-memory-mb",
    default=None,
    help="Address-space cap of each worker process in MiB, 'auto' or 'off' [env QHOST_WORKER_MEMORY_MB; "
    "default auto: 3/4 of memory shared by the workers, plus overhead].",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="Host name the HTTP doors answer to besides IP addresses and localhost (repeatable; "
    "'.example.org' for its subdomains, '*' for any) [env QHOST_ALLOWED_HOSTS, comma-separated].",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Origin allowed to read the HTTP doors' answers (CORS; repeatable, '*' for any) "
    "[env QHOST_CORS_ORIGINS; default none].",
)
@click.option(
    "--trusted-proxy",
    default=None,
    help="Address of a reverse proxy whose X-Forwarded-Proto/-For are honoured [env QHOST_TRUSTED_PROXY].",
)
@click.option(
    "--console-session-hours",
    type=float,
    default=None,
    help="Lifetime of a console sign-in in hours [env QHOST_CONSOLE_SESSION_HOURS; default 12].",
)
@click.option(
    "--max-holds",
    type=int,
    default=None,
    help="Long-polls held at once over every door [env QHOST_MAX_HOLDS; default 8].",
)
@click.option(
    "--thrift-max-block",
    type=float,
    default=None,
    help="Longest blocking Thrift run/run_qasm in seconds [env QHOST_THRIFT_MAX_BLOCK; default 600].",
)
@click.option("--thrift-port", type=int, default=None, help="Also serve the Thrift door on this port.")
@click.option(
    "--qrisp-port",
    "qrisp_ports",
    multiple=True,
    envvar="QHOST_QRISP_PORTS",
    help="Extra Qrisp-style port BACKEND=PORT with its own default backend, e.g. ideal@ddsim=8085 "
    "(repeatable) [env QHOST_QRISP_PORTS, comma/space-separated].",
)
def serve(**flags: Any) -> None:
    """Serve the Qrisp REST door (plus the IBM Runtime and Thrift doors when present) until SIGTERM/SIGINT."""
    flags["api_keys"] = flags["api_keys"] or None
    flags["admin_keys"] = flags["admin_keys"] or None
    flags["allowed_hosts"] = flags["allowed_hosts"] or None
    flags["cors_origins"] = flags["cors_origins"] or None
    flags["no_auth"] = flags["no_auth"] or None  # absent: QHOST_NO_AUTH decides
    qrisp_ports = _qrisp_ports(flags.pop("qrisp_ports"))
    settings = settings_from(flags)
    configure_logging(settings.log_level)
    from qhost.server.backend_server import BackendServer

    server = BackendServer(
        None,
        settings.host,
        settings.port,
        data_dir=settings.data_dir,
        thrift_port=settings.thrift_port,
        settings=settings,
    )
    server.background_imports = True  # this process runs nothing else: answer GET / before the imports end
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        server.start()
        extra = _start_qrisp_ports(server, qrisp_ports)
    except QhostError as exc:
        server.stop()
        raise click.ClickException(exc.message) from None
    click.echo(f"qhost serving on {server.url} ({_store_text(settings)}); Ctrl-C to stop", err=True)
    if server.thrift_port is not None:
        click.echo(f"Thrift BackendService on {settings.host}:{server.thrift_port}", err=True)
    try:
        while not stopping.wait(0.5):
            if not server.running:
                raise click.ClickException("the HTTP server stopped unexpectedly; see the log")
    finally:
        extra.stop()
        server.stop()
        click.echo("qhost stopped", err=True)


def _store_text(settings: Settings) -> str:
    if not settings.broker_url:
        return f"data dir {settings.data_dir}"
    from qhost.engine.distributed.common import redact_url

    return f"store {redact_url(settings.store_url)}, broker {redact_url(settings.broker_url)}"


def _qrisp_ports(values: tuple[str, ...]) -> dict[int, str]:
    from qhost.server.qrisp_ports import parse_qrisp_ports

    try:
        return parse_qrisp_ports(values)
    except QhostError as exc:
        raise click.BadParameter(exc.message, param_hint="--qrisp-port") from None


def _start_qrisp_ports(server: Any, ports: dict[int, str]) -> Any:
    """Serve the extra Qrisp-style ports over the main server's engine (``qhost.server.qrisp_ports``)."""
    from qhost.server.qrisp_ports import QrispPorts

    extra = QrispPorts(server.app, ports).start()
    for port, backend in ports.items():
        click.echo(f"qhost Qrisp port {port} -> {backend}", err=True)
    return extra
