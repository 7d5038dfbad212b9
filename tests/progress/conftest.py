"""Progress tests: real servers on real sockets with real worker processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # spawned workers inherit sys.path, so they import progress_programs too

import progress_helpers  # noqa: E402, F401  (registers the test program)

from qhost.backend_server import BackendServer  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """A qhost server on a free port: one warm worker process, the IBM, Qrisp and console doors."""
    data = tmp_path_factory.mktemp("progress")
    with BackendServer(None, port=0, data_dir=data, worker_mode="process", process_workers=1) as srv:
        yield srv
