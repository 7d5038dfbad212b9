"""Fixtures of the console tests: real apps over real SQLite files, jobs submitted through the engine."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from qhost.config import Settings  # noqa: E402
from qhost.engine import JobSpec  # noqa: E402
from qhost.programs import PROGRAMS, register_program  # noqa: E402
from qhost.server.app import create_app  # noqa: E402
from qhost.server.auth import owner_of_key  # noqa: E402

for _name in ("gated", "counts"):
    if f"t_console_{_name}" not in PROGRAMS:
        register_program(f"t_console_{_name}", f"console_programs:{_name}")

BELL = 'OPENQASM 2.0;include "qelib1.inc";qreg q[2];creg c[2];h q[0];cx q[0],q[1];measure q -> c;'
ALICE, BOB, ADMIN = "alice-key", "bob-key", "admin-key"


def counts_spec(
    owner_key: str | None = None,
    shots: int = 200,
    backend: str = "ideal@aer",
    program: str = "t_console_counts",
) -> JobSpec:
    """A Bell-circuit job; ``program="counts"`` runs it on Aer, the default a simulator-free stand-in.

    (Aer segfaults in thread mode once a process has stopped two engines that ran it, so tests that
    need the real simulator share the one module-scoped ``aer_app``.)
    """
    owner = owner_of_key(owner_key) if owner_key else ""
    inputs = json.dumps({"qasm": BELL, "shots": shots, "seed": 5})
    return JobSpec(program=program, inputs=inputs, backend=backend, owner=owner)


def gated_spec(owner_key: str | None = None) -> JobSpec:
    owner = owner_of_key(owner_key) if owner_key else ""
    return JobSpec(program="t_console_gated", inputs="{}", backend="ideal@aer", owner=owner)


def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``make_app(**settings)``: a started app in thread mode on a SQLite file under tmp_path."""
    apps: list[Any] = []

    def build(**overrides: Any) -> Any:
        settings = Settings.from_env(
            data_dir=tmp_path / f"data{len(apps)}", worker_mode="thread", process_workers=1, **overrides
        )
        app = create_app(settings, test_config={"TESTING": True})
        apps.append(app)
        return app

    yield build
    from console_programs import GATE

    GATE.set()
    for app in apps:
        app.extensions["qhost"].close(timeout=2.0)
    GATE.clear()


@pytest.fixture(scope="session")
def aer_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app per test session whose jobs run on the real Aer simulator (thread mode)."""
    settings = Settings.from_env(
        data_dir=tmp_path_factory.mktemp("aer"), worker_mode="thread", process_workers=1, executors=("aer",)
    )
    app = create_app(settings, test_config={"TESTING": True})
    yield app
    app.extensions["qhost"].close(timeout=2.0)


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    """An app without API keys (the console is open; everybody sees everything)."""
    return make_app()


@pytest.fixture
def keyed_app(make_app: Callable[..., Any]) -> Any:
    """An app with API keys for alice and bob and an admin key."""
    return make_app(api_keys=(ALICE, BOB), admin_keys=(ADMIN,))


def sign_in(client: Any, key: str) -> Any:
    page = client.get("/console/login")
    return client.post("/console/login", data={"key": key, "csrf_token": csrf_of(page.text)})
