"""The GPU side of the cuStateVec executor: one handle per process and device, and the device state.

Imported only inside worker processes that run ``custatevec`` jobs (CuPy and cuquantum-python are
imported lazily by :class:`_Context`). :class:`DeviceState` implements
``qhost.executors.statevector.trajectories.StateBackend`` with cuquantum-python 26.x bindings
(``cuquantum.bindings.custatevec``):

- dense ops: ``apply_matrix`` (row-major, matrix in the state's precision, controls passed through);
- diagonal and permutation ops: ``apply_generalized_permutation_matrix`` (``permutation=0`` for a
  pure diagonal; otherwise ``(G psi)[i] = diag[i] * psi[perm[i]]``);
- measurement / reset branches: ``abs2sum_array`` then ``collapse_by_bit_string``;
- Kraus branch weights ``<psi|K^dagger K|psi>``: ``compute_expectation``;
- terminal sampling: ``sampler_create`` / ``sampler_preprocess`` / ``sampler_sample``
  (``RANDNUM_ORDER``, random numbers from the job's seeded generator);
- Pauli expectation values: ``compute_expectations_on_pauli_basis`` (all terms in one call).

cuStateVec's own workspace comes from CuPy's memory pool through ``set_device_mem_handler``, so no
call passes an explicit workspace.

Every call here is positional. ``tests/executors/custatevec/test_binding_calls.py`` checks each one
(name, argument count, enum members) against the ``custatevec.pyx`` of the wheel the ``gpu`` extra
resolves to, on CPU; what the calls compute is checked on a GPU by ``tests/executors/custatevec/gpu``
(``scripts/gpu_verify.sh``). Conventions relied on, from NVIDIA's documentation and samples: a
permutation op is ``D·P`` with the diagonal on the output side, and lowering only emits self-inverse
permutations so the table's direction cannot matter (``ops.classify``); ``compute_expectation``
writes a complex128 host value (``CUDA_C_64F``) for a complex64 or complex128 state; the 3-tuple
``(malloc, free, name)`` form of ``set_device_mem_handler``, whose callables the binding keeps alive;
bit ``j`` of a sampled or ``abs2sum_array`` index is qubit ``bit_ordering[j]`` (NVIDIA's sampler
sample: its expected output follows only from that reading, with each random number inverted on
the whole state's cumulative distribution).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qhost.executors.custatevec.sizing import check_state_fits

if TYPE_CHECKING:
    from qhost.executors.statevector.ops import Op

__all__ = [
    "DeviceState",
]


class _Context:
    """The per-process, per-device cuStateVec handle, its stream and the CuPy memory pool."""

    _contexts: ClassVar[dict[int, _Context]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, device: int) -> None:
        import cupy as cp
        from cuquantum.bindings import custatevec as cusv

        self.cp, self.cusv, self.device = cp, cusv, device
        with cp.cuda.Device(device):
            self.stream = cp.cuda.Stream(non_blocking=True)
            self.handle = cusv.create()
            cusv.set_stream(self.handle, self.stream.ptr)
            pool = cp.get_default_memory_pool()
            self.pool = pool
            cusv.set_device_mem_handler(self.handle, (self._malloc, self._free, "qhost-cupy-pool"))
        self._live: dict[int, Any] = {}

    def _malloc(self, size: int, stream: int) -> int:
        mem = self.cp.cuda.alloc(size)
        self._live[mem.ptr] = mem
        return mem.ptr

    def _free(self, ptr: int, size: int, stream: int) -> None:
        self._live.pop(ptr, None)

    @classmethod
    def get(cls, device: int) -> _Context:
        """The context of ``device``, made current (device and stream) for the calling thread."""
        with cls._lock:
            ctx = cls._contexts.get(device)
            if ctx is None:
                ctx = cls._contexts[device] = _Context(device)
        ctx.cp.cuda.Device(device).use()
        ctx.stream.use()  # CuPy work and pool reuse stay ordered with the cuStateVec calls
        return ctx

    def free_bytes(self) -> int:
        with self.cp.cuda.Device(self.device):
            free, _total = self.cp.cuda.runtime.memGetInfo()
        return int(free) + int(self.pool.free_bytes())


class DeviceState:
    """A state vector in GPU memory implementing ``trajectories.StateBackend`` with cuStateVec calls."""

    def __init__(
        self, ctx: _Context, num_qubits: int, precision: str = "double", limit_bytes: int = 0
    ) -> None:
        from cuquantum import cudaDataType

        cp = ctx.cp
        self.ctx, self.cusv, self.cp = ctx, ctx.cusv, cp
        self.n = max(num_qubits, 1)
        double = precision == "double"
        self.dtype = np.complex128 if double else np.complex64
        self.dt = cudaDataType.CUDA_C_64F if double else cudaDataType.CUDA_C_32F
        self.ct = ctx.cusv.ComputeType.COMPUTE_64F if double else ctx.cusv.ComputeType.COMPUTE_32F
        self.result_dt = cudaDataType.CUDA_C_64F  # expectation values land in a host complex128
        free = ctx.free_bytes()
        self.limit = min(limit_bytes, free) if limit_bytes else free
        check_state_fits(self.n, precision, self.limit, ctx.device)
        with cp.cuda.Device(ctx.device), ctx.stream:
            self.sv = cp.empty(1 << self.n, dtype=self.dtype)
        self._keep: list[np.ndarray] = []
        self.reset_state()

    @property
    def _ptr(self) -> int:
        return int(self.sv.data.ptr)

    def _hold(self, array: np.ndarray) -> np.ndarray:
        """Keep host arrays passed by pointer alive until the stream has consumed them."""
        self._keep.append(array)
        if len(self._keep) > 4096:
            self.sync()
        return array

    def sync(self) -> None:
        self.ctx.stream.synchronize()
        self._keep.clear()

    def reset_state(self) -> None:
        self.cusv.initialize_state_vector(
            self.ctx.handle, self._ptr, self.dt, self.n, self.cusv.StateVectorType.ZERO
        )

    def apply(self, op: Op) -> None:
        cusv, h = self.cusv, self.ctx.handle
        targets, controls = list(op.targets), list(op.controls)
        cvals = list(op.control_values) if controls else 0
        data = self._hold(np.ascontiguousarray(op.data, dtype=self.dtype))
        if op.kind == "matrix":
            cusv.apply_matrix(
                h,
                self._ptr,
                self.dt,
                self.n,
                data.ctypes.data,
                self.dt,
                cusv.MatrixLayout.ROW,
                0,
                targets,
                len(targets),
                controls,
                cvals,
                len(controls),
                self.ct,
                0,
                0,
            )
            return
        perm = (
            0
            if op.kind == "diagonal"
            else self._hold(np.ascontiguousarray(op.perm, dtype=np.int64)).ctypes.data
        )
        cusv.apply_generalized_permutation_matrix(
            h,
            self._ptr,
            self.dt,
            self.n,
            perm,
            data.ctypes.data,
            self.dt,
            0,
            targets,
            len(targets),
            controls,
            cvals,
            len(controls),
            0,
            0,
        )

    def probabilities(self, qubits: Sequence[int]) -> np.ndarray:
        out = np.zeros(1 << len(qubits), dtype=np.float64)
        self.cusv.abs2sum_array(
            self.ctx.handle, self._ptr, self.dt, self.n, out.ctypes.data, list(qubits), len(qubits), 0, 0, 0
        )
        self.sync()
        return out

    def collapse(self, qubits: Sequence[int], outcome: int, probability: float) -> None:
        bits = [(outcome >> j) & 1 for j in range(len(qubits))]
        self.cusv.collapse_by_bit_string(
            self.ctx.handle, self._ptr, self.dt, self.n, bits, list(qubits), len(qubits), float(probability)
        )

    def expectation_matrix(self, qubits: Sequence[int], matrix: np.ndarray) -> float:
        out = np.zeros(1, dtype=np.complex128)
        mat = self._hold(np.ascontiguousarray(matrix, dtype=self.dtype))
        self.cusv.compute_expectation(
            self.ctx.handle,
            self._ptr,
            self.dt,
            self.n,
            out.ctypes.data,
            self.result_dt,
            mat.ctypes.data,
            self.dt,
            self.cusv.MatrixLayout.ROW,
            list(qubits),
            len(qubits),
            self.ct,
            0,
            0,
        )
        self.sync()
        return float(out[0].real)

    def save(self) -> Any | None:
        """A device copy of the state, or None when a second state does not fit (the driver replays)."""
        if self.ctx.free_bytes() < 2 * self.sv.nbytes or self.limit < 2 * self.sv.nbytes:
            return None
        with self.cp.cuda.Device(self.ctx.device), self.ctx.stream:
            return self.sv.copy()

    def restore(self, saved: Any, *, consume: bool) -> None:
        with self.cp.cuda.Device(self.ctx.device), self.ctx.stream:
            if consume:
                self.sv = saved
            else:
                self.sv[...] = saved

    def sample(self, qubits: Sequence[int], shots: int, rng: np.random.Generator) -> np.ndarray:
        cusv, h = self.cusv, self.ctx.handle
        sampler, ws_size = cusv.sampler_create(h, self._ptr, self.dt, self.n, shots)
        try:
            ws = self.cp.cuda.alloc(ws_size) if ws_size else None
            cusv.sampler_preprocess(h, sampler, ws.ptr if ws is not None else 0, ws_size)
            bits = np.empty(shots, dtype=np.int64)
            randnums = rng.random(shots)
            cusv.sampler_sample(
                h,
                sampler,
                bits.ctypes.data,
                list(qubits),
                len(qubits),
                randnums.ctypes.data,
                shots,
                cusv.SamplerOutput.RANDNUM_ORDER,
            )
            self.sync()
        finally:
            cusv.sampler_destroy(sampler)
        return bits

    def pauli_expectations(self, terms: Sequence[tuple[str, tuple[int, ...]]]) -> np.ndarray:
        """``<P>`` for each ``(paulis, qubits)`` term, e.g. ``("XZ", (0, 3))``; ``("", ())`` is 1."""
        out = np.ones(len(terms), dtype=np.float64)
        todo = [i for i, (p, _) in enumerate(terms) if p]
        if todo:
            table = {"X": self.cusv.Pauli.X, "Y": self.cusv.Pauli.Y, "Z": self.cusv.Pauli.Z}
            paulis = [[table[c] for c in terms[i][0]] for i in todo]
            basis = [list(terms[i][1]) for i in todo]
            vals = np.zeros(len(todo), dtype=np.float64)
            self.cusv.compute_expectations_on_pauli_basis(
                self.ctx.handle,
                self._ptr,
                self.dt,
                self.n,
                vals.ctypes.data,
                paulis,
                len(todo),
                basis,
                [len(b) for b in basis],
            )
            self.sync()
            out[todo] = vals
        return out

    def release(self) -> None:
        self.sync()
        self.sv = None
