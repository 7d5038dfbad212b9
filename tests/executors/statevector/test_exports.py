"""Public names of the GPU executor modules: ``__all__`` sorted (constants first) and importable."""

from __future__ import annotations

import importlib
import sys

import pytest

MODULES = [
    "qhost.executors.custatevec.executor",
    "qhost.executors.custatevec.sizing",
    "qhost.executors.custatevec.state",
    "qhost.executors.statevector.fusion",
    "qhost.executors.statevector.lowering",
    "qhost.executors.statevector.ops",
    "qhost.executors.statevector.pubs",
    "qhost.executors.statevector.trajectories",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__, key=lambda n: (not n.isupper(), n)) == module.__all__
    assert all(hasattr(module, attr) for attr in module.__all__)


def test_importing_the_gpu_modules_imports_no_gpu_package() -> None:
    for name in MODULES:
        importlib.import_module(name)
    assert "cupy" not in sys.modules and "cuquantum" not in sys.modules
