"""Shared test configuration. Area fixtures live in each tests/<area>/conftest.py.

``tests/support/`` goes on ``sys.path`` so that every area imports the shared helpers: ``qhost_testkit``
(one wording for skips that lack a tool, distribution checks). The plugin ``skip_policy`` adds the
end-of-run skip summary and, in CI (``CI=true``), fails the run on a skip not on ``tests/skip_allowlist.txt``.
(Not ``tests/`` itself: its area folders would import as top-level packages, ``tests/qrisp`` as ``qrisp``.)
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

SUPPORT = str(Path(__file__).resolve().parent / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

pytest_plugins = ("skip_policy",)


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
