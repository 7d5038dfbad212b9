"""Shared by the interop tests: a real qhost server in this process, built as `qhost serve` builds one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


@contextmanager
def qhost_server(data_dir: Path, *, process_workers: int, threads: int) -> Iterator[tuple[str, Any]]:
    """``(url, app)`` of a qhost server on a free loopback port (``create_waitress``, as in production)."""
    from qhost.config import Settings
    from qhost.server.app import create_app
    from qhost.server.http_server import create_waitress

    settings = Settings(data_dir=data_dir, process_workers=process_workers, http_threads=threads)
    app = create_app(settings)
    srv = create_waitress(app, settings, host="127.0.0.1", port=0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.effective_port}", app
    finally:
        srv.close()
        app.extensions["qhost"].close()
        thread.join(5)


@pytest.fixture(scope="module")
def service(server: tuple[str, Any]) -> Any:
    """The stock client's ``QiskitRuntimeService`` for the module's own ``server`` fixture."""
    from qhost.client.runtime import connect

    return connect(server[0])
