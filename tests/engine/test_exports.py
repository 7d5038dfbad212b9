"""The engine's public names: ``__all__`` is sorted and every name in it exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "qhost.engine",
    "qhost.engine.chores.schedule",
    "qhost.engine.engine",
    "qhost.cli.jobs",
    "qhost.engine.pool",
    "qhost.engine.distributed.common",
    "qhost.engine.distributed.engine",
    "qhost.engine.distributed.launcher",
    "qhost.store.claims",
    "qhost.engine.distributed.status",
    "qhost.engine.distributed.worker",
    "qhost.engine.run_func",
    "qhost.engine.distributed.snapshots",
    "qhost.engine.recovery",
    "qhost.store.schema",
    "qhost.store.sql_store",
    "qhost.engine.local.thread_pool",
    "qhost.engine.local.workers",
    "qhost.programs",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__, key=lambda n: (not n.isupper(), n)) == module.__all__
    assert all(hasattr(module, attr) for attr in module.__all__)
