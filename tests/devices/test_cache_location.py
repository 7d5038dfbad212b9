"""Where a server keeps per-install caches: QHOST_CACHE_DIR, else the user cache dir, else the data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qhost.devices.calibration import cache_dir, set_cache_dir


@pytest.fixture(autouse=True)
def _forget_cache_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("QHOST_CACHE_DIR", raising=False)
    set_cache_dir(None)
    yield
    set_cache_dir(None)


def _cache_dir_of_app(data_dir: Path) -> Path | None:
    from qhost.config import Settings
    from qhost.server.app import create_app

    settings = Settings(data_dir=data_dir, worker_mode="thread", process_workers=1, executors=("aer",))
    app = create_app(settings, test_config={"TESTING": True})
    try:
        return cache_dir()
    finally:
        app.extensions["qhost"].close()


def test_a_server_shares_the_users_cache_dir(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _cache_dir_of_app(tmp_path / "data") == tmp_path / "xdg" / "qhost"


def test_an_unwritable_user_cache_falls_back_to_the_data_dir(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "not-a-dir").write_text("a file where the cache root would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-dir"))
    assert _cache_dir_of_app(tmp_path / "data") == tmp_path / "data" / "cache"


def test_qhost_cache_dir_wins(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("QHOST_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _cache_dir_of_app(tmp_path / "data") == tmp_path / "mine"
