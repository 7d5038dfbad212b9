"""Where the distributed tests look for PostgreSQL: PATH, then ``pg_config --bindir``, then Debian's path."""

from __future__ import annotations

from pathlib import Path

import pytest
from dist_services import PG_TOOLS, find_pg_bin


def _fake_bin(where: Path, *tools: str) -> Path:
    where.mkdir(parents=True)
    for tool in tools:
        exe = where / tool
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return where


def test_a_postgresql_on_path_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = _fake_bin(tmp_path / "pg" / "bin", *PG_TOOLS)  # e.g. Homebrew, Fedora, a source build
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_pg_bin() == bin_dir


def test_pg_config_bindir_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _fake_bin(tmp_path / "server", *PG_TOOLS)
    client = _fake_bin(tmp_path / "client", "pg_config")  # only the client tools on PATH
    (client / "pg_config").write_text(f"#!/bin/sh\necho {server}\n")
    monkeypatch.setenv("PATH", str(client))
    assert find_pg_bin() == server


def test_a_directory_missing_a_tool_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    partial = _fake_bin(tmp_path / "partial", "initdb")  # no pg_ctl, no postgres
    monkeypatch.setenv("PATH", str(partial))
    assert find_pg_bin() != partial
