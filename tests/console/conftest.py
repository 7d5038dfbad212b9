"""Fixtures of the console tests: real apps over real SQLite files, jobs submitted through the engine."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from console_helpers import ADMIN, ALICE, BOB  # noqa: E402, F401  (registers the test programs)

from qhost.config import Settings  # noqa: E402
from qhost.server.app import create_app  # noqa: E402


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


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    """An app without API keys (the console is open; everybody sees everything)."""
    return make_app()


@pytest.fixture
def keyed_app(make_app: Callable[..., Any]) -> Any:
    """An app with API keys for alice and bob and an admin key."""
    return make_app(api_keys=(ALICE, BOB), admin_keys=(ADMIN,))
