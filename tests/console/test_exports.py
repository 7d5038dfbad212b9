"""The console's and metrics' public names: ``__all__`` is sorted, complete and importable."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

MODULES = [
    "qhost.server.console",
    "qhost.server.console.access",
    "qhost.server.console.charts",
    "qhost.server.console.listing",
    "qhost.server.console.summary",
    "qhost.server.console.views",
    "qhost.server.metrics",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_complete_and_importable(name: str, app: Any) -> None:
    """Every public function or class is in ``__all__``, except Flask views (named by their endpoints)."""
    views = {view.__name__ for view in app.view_functions.values()}
    module = importlib.import_module(name)
    assert sorted(module.__all__, key=lambda n: (not n.isupper(), n)) == module.__all__
    assert all(hasattr(module, attr) for attr in module.__all__)
    own = {
        n for n, v in vars(module).items()
        if not n.startswith("_") and n not in views and (inspect.isfunction(v) or inspect.isclass(v))
        and getattr(v, "__module__", None) == name
    }  # fmt: skip
    assert own <= set(module.__all__)
