"""Fixtures of the CPU lowering/trajectory tests: the numpy reference and random circuits."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest


def _load(name: str) -> ModuleType:
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_gpu_lowering_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ref() -> ModuleType:
    """The numpy reference module (``NumpyState``, ``run_ops``)."""
    return _load("numpy_reference")


@pytest.fixture(scope="session")
def circuits() -> ModuleType:
    """Random-circuit builders (``random_circuit``, ``param_circuit``, ``ghz``)."""
    return _load("random_circuits")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)
