"""Shared test configuration. Area fixtures live in each tests/<area>/conftest.py.

``tests/`` goes on ``sys.path`` so that every area imports the shared helpers: ``qhost_testkit`` (one
wording for skips that lack a tool, distribution checks). The plugin ``skip_policy`` adds the end-of-run
skip summary and, in CI (``CI=true``), fails the run on a skip not on ``tests/skip_allowlist.txt``.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

pytest_plugins = ("skip_policy",)


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
