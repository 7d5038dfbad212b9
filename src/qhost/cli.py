"""The ``qhost`` command: ``qhost serve``, ``qhost backends`` (and ``qhost env`` from the runtime door).

Every ``serve`` option also reads its environment variable (``QHOST_PORT`` …, and the seed's ``QRS_HOST``,
``QRS_PORT``, ``QRS_EXECUTOR``, ``QRS_LOG_LEVEL``, ``QRS_GPU_DEVICE``); a flag wins over the environment.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from typing import Any

import click

from qhost.config import DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_QRISP_BACKEND, Settings
from qhost.errors import QhostError

__all__ = ["main"]

log = logging.getLogger("qhost")


@click.group()
@click.version_option(package_name="qhost")
def main() -> None:
    """Host quantum-circuit simulators as network backends."""


def configure_logging(level: str) -> None:
    """``level`` for qhost's (and waitress's) loggers; other libraries stay at WARNING unless DEBUG.

    qiskit logs every transpiler pass at INFO, which would drown the server's own lines.
    """
    level = level.upper()
    root_level = level if level == "DEBUG" else "WARNING"
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(root_level)
    for name in ("qhost", "waitress"):
        logging.getLogger(name).setLevel(level)


@main.command()
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
    help="Key that sees and may cancel every job in the console (repeatable) [env QHOST_ADMIN_KEYS].",
)
@click.option(
    "--metrics-token",
    default=None,
    help="Bearer token GET /metrics requires [env QHOST_METRICS_TOKEN; default: open].",
)
@click.option(
    "--metrics/--no-metrics",
    "metrics_enabled",
    default=None,
    help="Serve GET /metrics (Prometheus) [env QHOST_METRICS_ENABLED; default on].",
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
    qrisp_ports = _qrisp_ports(flags.pop("qrisp_ports"))
    settings = _settings(flags)
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
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        server.start()
        extra = _start_qrisp_ports(server, qrisp_ports)
    except QhostError as exc:
        server.stop()
        raise click.ClickException(exc.message) from None
    click.echo(f"qhost serving on {server.url} (data dir {settings.data_dir}); Ctrl-C to stop", err=True)
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


@main.command()
@click.option(
    "--executors", default=None, help="Comma-separated executors to list (default: all registered)."
)
def backends(executors: str | None) -> None:
    """List the virtual backends: name, qubits, executor, and whether each can run here (or why not)."""
    settings = _settings({"executors": executors})
    from qhost.catalog import Catalog

    try:
        entries = Catalog(executors=settings.executors).entries()
    except QhostError as exc:
        raise click.ClickException(exc.message) from None
    rows = [
        (e.name, str(e.num_qubits), e.executor, "yes" if e.available else f"no: {e.reason}") for e in entries
    ]
    click.echo(_table(("name", "qubits", "executor", "available"), rows))


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


def _settings(flags: dict[str, Any]) -> Settings:
    try:
        return Settings.from_env(**flags)
    except QhostError as exc:
        raise click.BadParameter(exc.message) from None


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _register_extra_commands() -> None:
    """Commands other modules add (``qhost env`` from the runtime door), when those modules are present."""
    try:
        from qhost.server.runtime_api import register_cli  # type: ignore[attr-defined]
    except ImportError:
        return
    register_cli(main)


_register_extra_commands()
