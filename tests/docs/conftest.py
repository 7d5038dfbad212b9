"""Fixtures for the docs area: one real qhost server on a loopback port, jobs in a tmp SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qhost.server.backend_server import BackendServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """A running server (all doors, auth off, in-thread workers) for the whole module."""
    srv = BackendServer(None, port=0, data_dir=tmp_path_factory.mktemp("qhost"), worker_mode="thread")
    srv.start()
    yield srv
    srv.stop()
