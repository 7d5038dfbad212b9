"""``qhost serve``: the server until SIGTERM / SIGINT.

Every option is a setting's flag, generated from the declaration (``qhost.cli.options``); an absent flag
leaves the setting to the environment (``QHOST_PORT`` …, and the seed's ``QRS_*``); a flag wins over both.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from qhost.cli.options import setting_option
from qhost.cli.util import configure_logging, settings_from
from qhost.config import Settings
from qhost.errors import QhostError

__all__ = ["serve"]


@click.command()
@setting_option("host")
@setting_option("port")
@setting_option("data_dir", type=click.Path(file_okay=False))
@setting_option("broker_url")
@setting_option("database_url")
@setting_option("job_timeout")
@setting_option("executors")
@setting_option("log_level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@setting_option("qrisp_backend")
@setting_option("api_keys")
@setting_option("admin_keys")
@setting_option("no_auth")
@setting_option("metrics_token")
@setting_option("metrics_enabled")
@setting_option("worker_memory_mb", type=str)
@setting_option("allowed_hosts")
@setting_option("cors_origins")
@setting_option("trusted_proxy")
@setting_option("console_session_hours")
@setting_option("max_holds")
@setting_option("thrift_max_block")
@setting_option("thrift_port")
@setting_option("qrisp_ports", metavar="BACKEND=PORT")
def serve(**flags: Any) -> None:
    """Serve the Qrisp REST door (plus the IBM Runtime and Thrift doors when present) until SIGTERM/SIGINT."""
    for name in ("api_keys", "admin_keys", "allowed_hosts", "cors_origins", "qrisp_ports", "no_auth"):
        flags[name] = flags[name] or None  # absent (or off): the environment decides
    settings = settings_from(flags)
    qrisp_ports = _qrisp_ports(settings.qrisp_ports)
    configure_logging(settings.log_level)
    from qhost.backend_server import BackendServer

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
