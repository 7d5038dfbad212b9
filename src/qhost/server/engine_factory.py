"""The server's job engine and catalog from its settings: embedded (local workers) or distributed (RQ).

In distributed mode the server runs no program itself, so whether an executor can run *on the server
machine* does not matter: ``WorkerCatalog`` accepts every backend of a served executor (a CPU-only server
takes ``…@custatevec`` jobs for GPU workers). A job whose executor cannot run on the worker that takes it
fails there with the executor's reason; a queue nobody serves shows "no worker online" on the status page.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from qhost.catalog import Catalog, CatalogEntry, noise_free_refusal, parse_name
from qhost.config import Settings
from qhost.errors import ConfigurationError, ExecutorUnavailable

if TYPE_CHECKING:
    from qhost.engine import JobEngine
    from qhost.executors.base import RunFunc

__all__ = ["WorkerCatalog", "make_catalog", "make_engine"]


class WorkerCatalog(Catalog):
    """The catalog of a distributed server: every served executor counts as available here."""

    def entries(self) -> list[CatalogEntry]:
        rows = []
        for entry in super().entries():
            refusal = noise_free_refusal(entry.device, entry.executor)  # no worker could run it either
            rows.append(replace(entry, available=not refusal, reason=refusal))
        return rows

    def resolve(self, name: str) -> CatalogEntry:
        try:
            return super().resolve(name)
        except ExecutorUnavailable:  # not runnable on this machine; the workers decide
            device_name, executor = parse_name(name)
            return CatalogEntry(name, device_name, executor, self.device(device_name).num_qubits, True, "")


def make_catalog(settings: Settings) -> Catalog:
    """The server's catalog: ``WorkerCatalog`` in distributed mode, else the plain one."""
    cls = WorkerCatalog if settings.broker_url else Catalog
    return cls(executors=settings.executors)


def make_engine(settings: Settings, run_func: RunFunc | None = None) -> JobEngine:
    """A ``JobEngine`` on ``settings.store_url``; an ``RqJobEngine`` when ``settings.broker_url`` is set.

    Raises:
        ConfigurationError: distributed mode without ``database_url``, or without its Python packages.
    """
    from qhost.engine import JobEngine
    from qhost.store import SqlStore

    if not settings.broker_url:
        from qhost.engine.local.memory_floor import worker_memory_mb

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return JobEngine(
            SqlStore(settings.store_url),
            process_workers=settings.process_workers,
            thread_workers=settings.thread_workers,
            max_queued=settings.max_queued,
            run_func=run_func,
            worker_mode=settings.worker_mode,
            memory_limit_mb=worker_memory_mb(settings.worker_memory_mb, settings.process_workers),
        )
    if not settings.database_url:
        raise ConfigurationError(
            "--broker needs --database-url (QHOST_DATABASE_URL): workers on other machines must reach the "
            "job store, e.g. postgresql+psycopg://qhost:PASSWORD@db-host/qhost"
        )
    try:
        from qhost.engine.distributed.engine import make_rq_engine
    except ImportError as exc:
        raise ConfigurationError(
            f"Distributed mode needs the 'distributed' extra (pip install -e '.[distributed]'): {exc}"
        ) from None
    from qhost.engine.distributed.launcher import check_database

    check_database(settings.database_url)
    return make_rq_engine(
        SqlStore(settings.database_url),
        settings.broker_url,
        thread_workers=settings.thread_workers,
        max_queued=settings.max_queued,
        run_func=run_func,
        job_timeout=settings.job_timeout,
    )
