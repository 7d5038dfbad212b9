"""GPU tests: run only where CuPy, cuquantum-python and a CUDA device work; skipped with the reason."""

from __future__ import annotations

from qhost_testkit import needs


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
        return needs(f"cuquantum-python / CuPy ({exc})", "pip install -e '.[gpu]'", ci=False)
    except Exception as exc:  # driver missing, cuBLAS missing, no device …
        return f"cuStateVec unusable here: {type(exc).__name__}: {exc}"
    return None
