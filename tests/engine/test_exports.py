"""The engine's public names: ``__all__`` is sorted and every name in it exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "qhost.engine",
    "qhost.engine.chores",
    "qhost.engine.engine",
    "qhost.engine.jobs_listing",
    "qhost.engine.pool",
    "qhost.engine.rq_common",
    "qhost.engine.rq_engine",
    "qhost.engine.rq_launcher",
    "qhost.engine.rq_sql",
    "qhost.engine.rq_status",
    "qhost.engine.rq_worker",
    "qhost.engine.run_func",
    "qhost.engine.snapshots",
    "qhost.engine.recovery",
    "qhost.engine.schema",
    "qhost.engine.store",
    "qhost.engine.thread_pool",
    "qhost.engine.workers",
    "qhost.programs",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__, key=lambda n: (not n.isupper(), n)) == module.__all__
    assert all(hasattr(module, attr) for attr in module.__all__)
