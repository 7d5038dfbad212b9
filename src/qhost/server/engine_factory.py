"""The server's job engine from its settings: embedded (local workers) or distributed (RQ on Redis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qhost.config import Settings
from qhost.errors import ConfigurationError

if TYPE_CHECKING:
    from qhost.engine import JobEngine
    from qhost.executors.base import RunFunc

__all__ = ["make_engine"]


def make_engine(settings: Settings, run_func: RunFunc | None = None) -> JobEngine:
    """A ``JobEngine`` on ``settings.store_url``; an ``RqJobEngine`` when ``settings.broker_url`` is set.

    Raises:
        ConfigurationError: distributed mode without ``database_url``, or without its Python packages.
    """
    from qhost.engine import JobEngine, SqlStore

    if not settings.broker_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return JobEngine(
            SqlStore(settings.store_url),
            process_workers=settings.process_workers,
            thread_workers=settings.thread_workers,
            max_queued=settings.max_queued,
            run_func=run_func,
            worker_mode=settings.worker_mode,
        )
    if not settings.database_url:
        raise ConfigurationError(
            "--broker needs --database-url (QHOST_DATABASE_URL): workers on other machines must reach the "
            "job store, e.g. postgresql+psycopg://qhost:PASSWORD@db-host/qhost"
        )
    try:
        from qhost.engine.rq_engine import make_rq_engine
    except ImportError as exc:
        raise ConfigurationError(
            f"Distributed mode needs the 'distributed' extra (pip install 'qhost[distributed]'): {exc}"
        ) from None
    from qhost.engine.rq_launcher import check_database

    check_database(settings.database_url)
    return make_rq_engine(
        SqlStore(settings.database_url),
        settings.broker_url,
        thread_workers=settings.thread_workers,
        max_queued=settings.max_queued,
        run_func=run_func,
        job_timeout=settings.job_timeout,
    )
