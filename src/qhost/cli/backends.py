"""``qhost backends``: the virtual backends, and with a broker how many workers serve each executor."""

from __future__ import annotations

import click

from qhost.cli.util import settings_from, table
from qhost.errors import QhostError

__all__ = ["backends"]


@click.command()
@click.option(
    "--executors", default=None, help="Comma-separated executors to list (default: all registered)."
)
@click.option(
    "--broker",
    "broker_url",
    default=None,
    help="Redis URL of a distributed deployment: add how many workers serve each executor "
    "[env QHOST_BROKER_URL].",
)
def backends(executors: str | None, broker_url: str | None) -> None:
    """List the virtual backends: name, qubits, executor, and whether each can run here (or why not)."""
    settings = settings_from({"executors": executors, "broker_url": broker_url})
    from qhost.catalog import Catalog

    try:
        entries = Catalog(executors=settings.executors).entries()
        workers = _workers_per_queue(settings.broker_url, {e.executor for e in entries})
    except QhostError as exc:
        raise click.ClickException(exc.message) from None
    rows: list[tuple[str, ...]] = [
        (e.name, str(e.num_qubits), e.executor, "yes" if e.available else f"no: {e.reason}") for e in entries
    ]
    header: tuple[str, ...] = ("name", "qubits", "executor", "available")
    if workers is not None:
        header = (*header, "workers")
        rows = [(*row, workers[row[2]]) for row in rows]
    click.echo(table(header, rows))


def _workers_per_queue(broker_url: str | None, executors: set[str]) -> dict[str, str] | None:
    """``executor -> "N"`` or ``"no worker online"`` from the broker; None without one."""
    if not broker_url:
        return None
    from qhost.engine.distributed.status import queue_workers

    counts = queue_workers(broker_url, executors)
    return {name: str(n) if n else "no worker online" for name, n in counts.items()}
