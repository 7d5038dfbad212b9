"""P5: effective memory bandwidth of the cuStateVec executor's gate passes (goal: ≥ 80 % of copy BW).

For n = 26, 28, 30 qubits in complex64 and complex128 it times, through the executor's own
``DeviceState.apply`` (so the Python path is included):

- one dense 1-qubit gate pass (a random U(2) on a low, a middle and the top qubit), and
- one fused layer: a random dense 4-qubit unitary (the default ``fusion_max_qubits``),
- plus the diagonal (``RZ``) and permutation (``CX``) fast paths for reference.

Each pass reads and writes the whole state once, so effective bandwidth = 2 · 2^n · itemsize / t
(NVIDIA's ``apply_matrix`` benchmark formula; controlled gates touch 2^(n-c) amplitudes and are
counted that way). The reference is the device's measured device-to-device copy bandwidth
(a CuPy copy of a buffer the size of the largest state: 2 · bytes / t). Times are CUDA-event
medians over ``--repeats`` passes after a warm-up.

Usage::

    python benchmarks/p5_bandwidth.py [--qubits 26 28 30] [--repeats 20] [--device 0]

Without a GPU (or without cupy / cuquantum-python) it prints "no GPU: not run" and exits 0.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import sys

import numpy as np

__all__ = ["main"]


def _header() -> dict[str, str]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _gpu_missing(device: int) -> str | None:
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() <= device:
            return f"no CUDA device {device}"
        from cuquantum.bindings import custatevec as cusv

        cupy.cuda.Device(device).use()
        handle = cusv.create()
        cusv.destroy(handle)
    except Exception as exc:  # ImportError, CUDA driver errors, cuBLAS missing …
        return f"{type(exc).__name__}: {exc}"
    return None


def _time(cp, stream, fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of ``fn()`` measured with CUDA events on ``stream``."""
    fn()
    stream.synchronize()
    times = []
    for _ in range(repeats):
        start, stop = cp.cuda.Event(), cp.cuda.Event()
        start.record(stream)
        fn()
        stop.record(stream)
        stop.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, stop) / 1e3)
    return statistics.median(times)


def _copy_time(cp, stream, nbytes: int, repeats: int) -> float:  # type: ignore[no-untyped-def]
    src = cp.ones(nbytes // 8, dtype=cp.float64)
    dst = cp.empty_like(src)
    return _time(cp, stream, lambda: cp.copyto(dst, src), repeats)


def copy_bandwidth(cp, stream, nbytes: int, repeats: int) -> float:  # type: ignore[no-untyped-def]
    """Device-to-device copy bandwidth in bytes/s (read + write counted)."""
    t = _copy_time(cp, stream, nbytes, repeats)
    cp.get_default_memory_pool().free_all_blocks()
    return 2 * nbytes / t


def _ops(n: int):  # type: ignore[no-untyped-def]
    from qiskit.quantum_info import random_unitary

    from qhost.executors.statevector.ops import DENSE, DIAGONAL, PERMUTATION, Op

    u2 = random_unitary(2, seed=1).data
    u16 = random_unitary(16, seed=2).data
    rz = np.array([np.exp(-0.2j), np.exp(0.2j)])
    x = Op(PERMUTATION, (n // 2,), (0,), (1,), data=np.ones(2, dtype=complex), perm=np.array([1, 0]))
    return {
        "dense 1q (q0)": (Op(DENSE, (0,), data=u2), 0),
        f"dense 1q (q{n // 2})": (Op(DENSE, (n // 2,), data=u2), 0),
        f"dense 1q (q{n - 1})": (Op(DENSE, (n - 1,), data=u2), 0),
        "fused 4q layer": (Op(DENSE, (0, n // 3, 2 * n // 3, n - 1), data=u16), 0),
        "diagonal rz": (Op(DIAGONAL, (n // 2,), data=rz), 0),
        "permutation cx": (x, 1),
    }


def run(qubits: list[int], repeats: int, device: int) -> dict[str, object]:
    import cupy as cp

    from qhost.executors.custatevec.executor import CuStateVecExecutor

    out: dict[str, object] = {"device": cp.cuda.runtime.getDeviceProperties(device)["name"].decode()}
    largest = 16 << max(qubits)
    probe = CuStateVecExecutor(device=device)._make_state(1)
    stream = probe.ctx.stream
    free = probe.ctx.free_bytes()
    bw_copy = copy_bandwidth(cp, stream, min(largest, free // 3), repeats)
    out["copy_bandwidth_GBps"] = round(bw_copy / 1e9, 1)
    rows = []
    for precision in ("single", "double"):
        for n in qubits:
            try:
                state = CuStateVecExecutor(device=device, precision=precision)._make_state(n)
            except Exception as exc:  # CircuitTooLarge on smaller GPUs
                rows.append({"n": n, "precision": precision, "skipped": str(exc)})
                continue
            item = state.sv.itemsize
            for name, (op, ncontrols) in _ops(n).items():
                t = _time(cp, stream, lambda op=op, state=state: state.apply(op), repeats)
                bw = 2 * (2 ** (n - ncontrols)) * item / t
                rows.append(
                    {
                        "n": n,
                        "precision": precision,
                        "pass": name,
                        "ms": round(t * 1e3, 3),
                        "GBps": round(bw / 1e9, 1),
                        "fraction_of_copy": round(bw / bw_copy, 3),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
            state.release()
            del state
            cp.get_default_memory_pool().free_all_blocks()
    out["rows"] = rows
    dense = [r["fraction_of_copy"] for r in rows if "pass" in r and r["pass"].startswith(("dense", "fused"))]
    out["min_dense_fraction"] = min(dense) if dense else None
    out["target_met"] = bool(dense) and min(dense) >= 0.8
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="+", default=[26, 28, 30])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--device", type=int, default=0)
    args = parser.parse_args(argv)
    print(json.dumps(_header()))
    missing = _gpu_missing(args.device)
    if missing is not None:
        print(f"no GPU: not run ({missing})")
        return 0
    print(json.dumps(run(args.qubits, args.repeats, args.device), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
