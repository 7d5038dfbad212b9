"""GPU tests: run only where CuPy, cuquantum-python and a CUDA device work; skipped with the reason."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def gpu_skip_reason() -> str | None:
    """None when a cuStateVec handle can be created on device 0, else why not."""
    try:
        import cupy

        if not cupy.cuda.is_available():
            return "no CUDA device visible to CuPy"
        from cuquantum.bindings import custatevec as cusv

        handle = cusv.create()
        cusv.destroy(handle)
    except ImportError as exc:
        return f"cuquantum-python / CuPy not installed ({exc}); pip install 'qhost[gpu]'"
    except Exception as exc:  # driver missing, cuBLAS missing, no device …
        return f"cuStateVec unusable here: {type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def circuits() -> ModuleType:
    """The random-circuit builders shared with the CPU lowering tests."""
    path = Path(__file__).parent.parent / "executors_gpu_lowering" / "random_circuits.py"
    spec = importlib.util.spec_from_file_location("_gpu_random_circuits", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
