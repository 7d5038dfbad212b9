"""An HTTP port keeps serving when its sockets' descriptors are past 1023 (``select()``'s limit): a server
allowed 1000 connections reaches them, and waitress's default loop then died with ``ValueError:
filedescriptor out of range in select()`` (seen in a fresh-machine run of the suite, whose process held
that many descriptors)."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator

import pytest
import requests

from qhost.backend_server import BackendServer


@pytest.fixture
def high_descriptors() -> Iterator[None]:
    """Hold descriptors up to past 1100, so the server's sockets get numbers above select()'s 1023."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.fail(f"the test needs 2048 open files; this process may have {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    yield
    for fd in held:
        os.close(fd)


def test_a_port_serves_with_descriptors_past_select_limit(high_descriptors: None) -> None:
    with BackendServer(lambda q, s, t: {"0": s or 1}, port=0, worker_mode="thread") as server:
        for _ in range(3):
            answer = requests.get(f"{server.url}/version", timeout=10)
            assert answer.status_code == 200 and answer.json()["name"] == "qhost"
