"""``qhost worker`` (serve RQ queues on this machine) and ``qhost jobs`` (list jobs from the store).

``qhost worker --broker redis://… --database-url postgresql+psycopg://… --queue aer -n 4`` starts four
worker processes; ``--gpus 0,1`` starts one per GPU instead. ``qhost jobs`` reads the store of record
(``--database-url``, or the SQLite file under ``--data-dir``) and needs no running server.
"""

from __future__ import annotations

import json
from typing import Any

import click

from qhost.cli.options import setting_option
from qhost.cli.util import configure_logging, settings_from, table
from qhost.config import DEFAULT_DATA_DIR, Settings
from qhost.errors import QhostError

__all__ = ["register"]


def register(main: click.Group) -> None:
    """Add ``worker`` and ``jobs`` to the ``qhost`` command group."""
    main.add_command(worker)
    main.add_command(jobs)


def _memory_limit(raw: str | None, processes: int) -> int | None:
    """MiB of the job processes' address-space cap (``qhost.engine.local.memory_floor``); None: no cap.

    ``raw`` is the flag's text; absent, ``QHOST_WORKER_MEMORY_MB`` decides (``auto`` when unset).
    """
    from qhost.engine.local.memory_floor import worker_memory_mb

    return worker_memory_mb(settings_from({"worker_memory_mb": raw}).worker_memory_mb, processes)


def _worker_settings(opts: dict[str, Any]) -> Settings:
    """The broker, store and wait of ``qhost worker`` from its flags over the environment (both required)."""
    settings = settings_from(
        {name: opts[name] for name in ("broker_url", "database_url", "wait_for_services")}
    )
    for name, flag in (("broker_url", "--broker"), ("database_url", "--database-url")):
        if not getattr(settings, name):
            variable = f"QHOST_{name.upper()}"
            raise click.UsageError(f"Missing option '{flag}' (or {variable}).")
    return settings


@click.command()
@setting_option("broker_url", "worker")
@setting_option("database_url", "worker")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    required=True,
    help="Executor queue(s) to serve, e.g. aer or aer,ddsim (repeatable).",
)
@click.option("-n", "count", type=int, default=1, show_default=True, help="Worker processes (CPU).")
@click.option(
    "--gpus", default=None, help="Comma-separated GPU ids: one worker process per GPU (replaces -n)."
)
@click.option(
    "--heartbeat", type=float, default=None, help="Seconds between a running job's heartbeats [default 10]."
)
@setting_option("worker_memory_mb", "worker", aliases=("--memory-limit-mb",), type=str)
@click.option(
    "--ignore-version-mismatch", is_flag=True, help="Only warn when qhost/qiskit differ from the server's."
)
@click.option(
    "--log-level",
    default="INFO",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Logging level.",
)
@setting_option("wait_for_services", "worker")
def worker(**opts: Any) -> None:
    """Run jobs from the broker's queues on this machine until SIGTERM/SIGINT."""
    configure_logging(opts["log_level"])
    settings = _worker_settings(opts)
    broker_url, database_url = settings.broker_url or "", settings.database_url or ""
    try:
        from qhost.engine.distributed.launcher import (
            await_services,
            check_versions,
            run_workers,
            worker_configs,
        )
        from qhost.engine.distributed.worker import DEFAULT_HEARTBEAT_S, WorkerConfig
    except ImportError as exc:
        raise click.ClickException(f"qhost worker needs pip install -e '.[distributed]': {exc}") from None
    gpus = [g.strip() for g in (opts["gpus"] or "").split(",") if g.strip()] or None
    try:
        conn = await_services(broker_url, database_url, settings.wait_for_services)
        check_versions(conn, strict=not opts["ignore_version_mismatch"])
        base = WorkerConfig(
            broker_url=broker_url,
            database_url=database_url,
            queues=tuple(q.strip() for value in opts["queues"] for q in value.split(",") if q.strip()),
            heartbeat_s=opts["heartbeat"] or DEFAULT_HEARTBEAT_S,
            memory_limit_mb=_memory_limit(opts["worker_memory_mb"], len(gpus) if gpus else opts["count"]),
            log_level=opts["log_level"].upper(),
        )
        configs = worker_configs(base, opts["count"], gpus)
    except QhostError as exc:
        raise click.ClickException(exc.message) from None
    where = f"GPUs {','.join(gpus)}" if gpus else f"{len(configs)} process(es)"
    click.echo(f"qhost worker: queues {', '.join(base.queues)} on {where}; Ctrl-C to stop", err=True)
    run_workers(configs)
    click.echo("qhost worker stopped", err=True)


@click.command()
@setting_option("database_url", "worker")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Directory of the SQLite store when no database URL is given [default {DEFAULT_DATA_DIR}].",
)
@click.option(
    "--state", "states", multiple=True, help="Only jobs in this state (repeatable): queued, running, …"
)
@click.option("--owner", default=None, help="Only jobs of this owner.")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many (newest first).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def jobs(**opts: Any) -> None:
    """List jobs from the store: id, backend, state, worker (host/pid), queued, ran, took."""
    from qhost.cli.jobs import list_rows

    try:
        settings = Settings.from_env(database_url=opts["database_url"], data_dir=opts["data_dir"])
        rows = list_rows(settings.store_url, opts["states"] or None, opts["owner"], opts["limit"])
    except QhostError as exc:
        raise click.ClickException(exc.message) from None
    if opts["as_json"]:
        for row in rows:
            click.echo(json.dumps(row))
        return
    header = ("id", "backend", "state", "worker", "queued", "ran", "took")
    cells = [
        (
            r["id"],
            r["backend"] or "-",
            r["state"],
            f"{r['host']}/{r['pid']}" if r["pid"] is not None else "-",
            r["created_at"][:19].replace("T", " "),
            (r["started_at"] or "-")[:19].replace("T", " "),
            "-" if r["took_s"] is None else f"{r['took_s']:.3f}s",
        )
        for r in rows
    ]
    click.echo(table(header, cells))
