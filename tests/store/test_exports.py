"""The store's public names: ``__all__`` is sorted (constants first) and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import qhost.store

MODULES = sorted(f"qhost.store.{m.name}" for m in pkgutil.iter_modules(qhost.store.__path__))


def test_every_store_module_is_listed() -> None:
    assert {"qhost.store.sessions", "qhost.store.tables", "qhost.store.listing"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__, key=lambda n: (not n.isupper(), n)) == module.__all__
    assert all(hasattr(module, attr) for attr in module.__all__)
