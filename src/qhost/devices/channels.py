"""Device noise for the qubits and gates a job uses, built from the device's :class:`Calibration`.

The channels are the ones ``NoiseModel.from_backend`` gives (qiskit-aer's ``noise/device/models.py``),
restricted to a qubit set: for each instruction with a calibrated duration, thermal relaxation on each
of its qubits (T2 truncated to 2·T1, no excited population); for each ``Gate`` with a calibrated error,
a depolarizing channel applied before the relaxation, its parameter solved so that the composition has
the calibrated average gate infidelity; a readout error per measured qubit; and thermal relaxation on
``delay`` instructions (Aer's ``RelaxationNoisePass``). A test pins every channel against
``NoiseModel.from_backend`` on several devices and qubit sets.

Building only what a job needs is what makes a device's first job cheap: a 5-qubit job on a
156-qubit device needs ~10 of its ~1,000 errors. Errors are memoised per ``(instruction, qubits)``,
so other qubit sets of the same device reuse them.

Two forms of each gate error:

- :meth:`NoiseBuilder.gate_error`: Aer's own mixture (depolarizing Paulis composed with
  I/Z/reset terms), term for term what ``from_backend`` builds: for trajectory (statevector) methods.
- :meth:`NoiseBuilder.kraus_error`: the same channel as one Kraus instruction, computed from its
  superoperator in closed form (no 144-term mixture is ever built): for Aer's density_matrix method,
  which turns every error into a superoperator anyway.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from qiskit_aer.noise import QuantumError, ReadoutError

    from qhost.devices.calibration import Calibration
    from qhost.devices.noise import FrozenNoiseModel

__all__ = ["NoiseBuilder", "VariantKey", "relaxation_choi", "relaxation_kraus", "superop_to_kraus"]

VariantKey = tuple[tuple[tuple[int, str], ...], tuple[tuple[str, int], ...]]
"""``(((qubit, measurement kind), ...), ((instruction, qubit), ...))``: see :meth:`NoiseBuilder.model`."""


def _relax_params(cal: Calibration, qubit: int) -> tuple[float, float]:
    """``(t1, t2)`` of ``qubit`` as Aer uses them: T2 truncated to 2·T1, missing values infinite."""
    assert cal.qubits is not None
    t1, t2, _freq = cal.qubits[qubit]
    if t1 is not None:
        t2 = 2 * t1 if t2 is None else min(t2, 2 * t1)
    return (math.inf if t1 is None else t1), (math.inf if t2 is None else t2)


def _decay(t1: float, t2: float, time: float) -> tuple[float, float]:
    """``(p_reset, exp_t2)`` of thermal relaxation for ``time`` (as Aer's ``thermal_relaxation_error``)."""
    p_reset = 0.0 if t1 == math.inf else 1 - np.exp(-time / t1)
    exp_t2 = 1.0 if t2 == math.inf else np.exp(-time / t2)
    return float(p_reset), float(exp_t2)


def relaxation_choi(t1: float, t2: float, time: float) -> np.ndarray:
    """The Choi matrix of thermal relaxation (no excited population), as Aer writes it for T2 > T1.

    For T2 <= T1 Aer builds an I/Z/reset mixture instead; it is the same channel.
    """
    p_reset, exp_t2 = _decay(t1, t2, time)
    return np.array(
        [[1, 0, 0, exp_t2], [0, 0, 0, 0], [0, 0, p_reset, 0], [exp_t2, 0, 0, 1 - p_reset]], dtype=complex
    )


def _kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.kron`` for 2-D arrays, without its generic-shape overhead (it dominated small builds)."""
    return (a[:, None, :, None] * b[None, :, None, :]).reshape(a.shape[0] * b.shape[0], -1)


def relaxation_kraus(t1: float, t2: float, time: float) -> list[np.ndarray]:
    """Kraus operators of thermal relaxation (no excited population): amplitude damping, then the extra
    dephasing that brings the coherence down to ``exp(-time/t2)`` (T2 <= 2·T1 after truncation)."""
    p_reset, exp_t2 = _decay(t1, t2, time)
    keep = math.sqrt(1 - p_reset)
    if keep == 0.0:  # fully relaxed: everything goes to |0>
        return [np.array([[1, 0], [0, 0]], dtype=complex), np.array([[0, 1], [0, 0]], dtype=complex)]
    flip = min(max((1 - exp_t2 / keep) / 2, 0.0), 1.0)
    damp = np.array([[1, 0], [0, keep]], dtype=complex)
    out = [math.sqrt(1 - flip) * damp, np.array([[0, math.sqrt(p_reset)], [0, 0]], dtype=complex)]
    if flip > 0:
        out.append(math.sqrt(flip) * np.array([[1, 0], [0, -keep]], dtype=complex))
    return out


def superop_to_kraus(sup: np.ndarray, atol: float = 1e-14) -> list[np.ndarray]:
    """Kraus operators of a superoperator (column stacking), from the eigenvectors of its Choi matrix."""
    dim = int(round(math.sqrt(sup.shape[0])))
    # S[(i,j),(k,l)] with vec index = row + dim*col; Choi[(k,i),(l,j)] = S[(i,j),(k,l)] up to the reshuffle
    choi = sup.reshape(dim, dim, dim, dim).transpose(3, 1, 2, 0).reshape(dim * dim, dim * dim)
    values, vectors = np.linalg.eigh((choi + choi.conj().T) / 2)
    return [
        math.sqrt(val) * vectors[:, i].reshape(dim, dim, order="F")
        for i, val in enumerate(values)
        if val > atol
    ]


class NoiseBuilder:
    """Noise models for qubit subsets of one device; errors memoised per ``(instruction, qubits)``.

    Thread-safe: the memo tables only ever gain entries, and equal keys build equal errors.
    """

    def __init__(self, calibration: Calibration) -> None:
        self.calibration = calibration
        self._errors: dict[tuple[str, tuple[int, ...]], QuantumError | None] = {}
        self._kraus: dict[tuple[str, tuple[int, ...]], QuantumError | None] = {}
        self._readout: dict[int, ReadoutError] = {}
        self._delay_pass: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ one channel
    def _props(self, name: str, qubits: tuple[int, ...]) -> tuple[bool, float | None, float | None]:
        inst = self.calibration.instruction(name)
        if inst is None or qubits not in inst.props:
            return False, None, None
        duration, error = inst.props[qubits]
        return inst.is_gate, duration, error

    def _has_relaxation(self, duration: float | None) -> bool:
        return bool(duration) and self.calibration.qubits is not None

    def _relax_fidelity(self, qubits: tuple[int, ...], duration: float) -> float:
        """Average gate fidelity of the relaxation product (process fidelities multiply)."""
        f_pro = 1.0
        for q in qubits:
            p_reset, exp_t2 = _decay(*_relax_params(self.calibration, q), duration)
            f_pro *= (2 - p_reset + 2 * exp_t2) / 4
        dim = 2 ** len(qubits)
        return (dim * f_pro + 1) / (dim + 1)

    def _depol_param(self, qubits: tuple[int, ...], error: float | None, relax_fid: float) -> float | None:
        """Aer's ``_device_depolarizing_error`` parameter, or ``None`` when there is no depolarizing part."""
        relax_infid = 1 - relax_fid
        if error is None or not error > relax_infid:
            return None
        dim = 2 ** len(qubits)
        error = min(error, dim / (dim + 1))
        param = dim * (error - relax_infid) / (dim * relax_fid - 1)
        return min(param, 4 ** len(qubits) / (4 ** len(qubits) - 1))

    def _channel_parts(self, name: str, qubits: tuple[int, ...]) -> tuple[float | None, float | None] | None:
        """``(relaxation duration or None, depolarizing parameter or None)``; ``None`` when noise-free."""
        is_gate, duration, error = self._props(name, qubits)
        relax = duration if self._has_relaxation(duration) else None
        relax_fid = 1.0 if relax is None else self._relax_fidelity(qubits, relax)
        depol = self._depol_param(qubits, error, relax_fid) if is_gate and error else None
        if depol is None and (relax is None or relax_fid == 1.0):
            return None  # no error, or an identity channel (Aer drops those as "ideal")
        return relax, depol

    def gate_error(self, name: str, qubits: Iterable[int]) -> QuantumError | None:
        """Aer's mixture error for ``name`` on ``qubits`` (as ``from_backend`` builds it), or ``None``."""
        key = (name, tuple(qubits))
        if key not in self._errors:
            self._errors[key] = self._build_mixture(*key)
        return self._errors[key]

    def _build_mixture(self, name: str, qubits: tuple[int, ...]) -> QuantumError | None:
        from qiskit_aer.noise import depolarizing_error, thermal_relaxation_error

        parts = self._channel_parts(name, qubits)
        if parts is None:
            return None
        duration, depol = parts
        relax = None
        if duration is not None:
            for q in qubits:
                single = thermal_relaxation_error(*_relax_params(self.calibration, q), duration, 0)
                relax = single if relax is None else relax.expand(single)
        if depol is None:
            return relax
        error = depolarizing_error(depol, len(qubits))
        return error if relax is None else error.compose(relax)

    def superop(self, name: str, qubits: Iterable[int]) -> np.ndarray | None:
        """The superoperator (qiskit's column-stacking convention, qubit 0 least significant) of the
        error on ``name``/``qubits``, in closed form: relaxation after depolarizing."""
        qubits = tuple(qubits)
        parts = self._channel_parts(name, qubits)
        if parts is None:
            return None
        duration, depol = parts
        dim = 2 ** len(qubits)
        total = np.eye(dim * dim, dtype=complex)
        if depol is not None:
            vec_id = np.eye(dim).reshape(-1)
            total = (1 - depol) * total + (depol / dim) * np.outer(vec_id, vec_id)
        if duration is not None:
            kraus = [np.eye(1, dtype=complex)]
            for q in qubits:  # later qubits are more significant: kron(new, previous)
                single = relaxation_kraus(*_relax_params(self.calibration, q), duration)
                kraus = [_kron(k_new, k_old) for k_new in single for k_old in kraus]
            relax = sum(_kron(k.conj(), k) for k in kraus)
            total = relax @ total
        return total

    def kraus_error(self, name: str, qubits: Iterable[int]) -> QuantumError | None:
        """The error on ``name``/``qubits`` as a single Kraus channel (for density_matrix), or ``None``."""
        key = (name, tuple(qubits))
        if key not in self._kraus:
            from qiskit.quantum_info import Kraus
            from qiskit_aer.noise import QuantumError

            sup = self.superop(*key)
            self._kraus[key] = None if sup is None else QuantumError(Kraus(superop_to_kraus(sup)))
        return self._kraus[key]

    def readout_error(self, qubit: int) -> ReadoutError | None:
        """The readout error of ``qubit`` (``[[P(0|0), P(1|0)], [P(0|1), P(1|1)]]``), or ``None``."""
        probs = self.calibration.readout.get(qubit)
        if probs is None or probs == (0, 0):
            return None  # Aer drops ideal readout errors
        if qubit not in self._readout:
            from qiskit_aer.noise import ReadoutError

            p0m1, p1m0 = probs
            self._readout[qubit] = ReadoutError([[1 - p0m1, p0m1], [p1m0, 1 - p1m0]])
        return self._readout[qubit]

    def variant_readout(self, name: str, qubit: int) -> tuple[float, float] | None:
        """``(P(1|0), P(0|1))`` of the measurement variant ``name`` (``measure_2``) on ``qubit``, from its
        calibrated error (symmetric, as Aer reads a measurement's ``error``), or ``None`` if uncalibrated."""
        inst = self.calibration.instruction(name)
        props = None if inst is None else inst.props.get((qubit,))
        if props is None or props[1] is None:
            return None
        return (props[1], props[1])

    def _readout_for(self, qubit: int, kind: str) -> ReadoutError | None:
        if kind == "none":  # the circuit carries this qubit's readout errors itself
            return None
        if kind == "measure":
            return self.readout_error(qubit)
        probs = self.variant_readout(kind, qubit)
        if probs is None or probs == (0, 0):
            return None
        from qiskit_aer.noise import ReadoutError

        p0m1, p1m0 = probs
        return ReadoutError([[1 - p0m1, p0m1], [p1m0, 1 - p1m0]])

    def delay_pass(self) -> Any:
        """Aer's ``RelaxationNoisePass`` for ``delay`` instructions (one per device), or ``None``."""
        cal = self.calibration
        if cal.qubits is None:
            return None
        if self._delay_pass is None:
            from qiskit.circuit import Delay
            from qiskit_aer.noise.passes import RelaxationNoisePass

            t1s, t2s = zip(*(_relax_params(cal, q) for q in range(cal.num_qubits)), strict=True)
            with self._lock:
                self._delay_pass = RelaxationNoisePass(
                    t1s=list(t1s),
                    t2s=list(t2s),
                    dt=cal.dt,
                    op_types=Delay,
                    excited_state_populations=[0] * cal.num_qubits,
                )
        return self._delay_pass

    # ------------------------------------------------------------------ a model
    def model(
        self,
        qubits: Iterable[int] | None = None,
        gates: Iterable[str] | None = None,
        *,
        kraus: bool = False,
        variants: VariantKey | None = None,
    ) -> FrozenNoiseModel:
        """The device noise restricted to ``qubits`` (all when ``None``) and ``gates`` (all when ``None``).

        Keeps every error whose qubits all lie in ``qubits``, exactly as trimming
        ``NoiseModel.from_backend`` would; with ``kraus`` each gate error is one Kraus channel.
        ``variants`` (``qhost.executors.variants.Lowered.noise_key``): per qubit the measurement kind
        whose readout error applies, and the ``(instruction, qubit)`` errors the circuit carries itself.
        """
        readout_kind = dict(variants[0]) if variants else {}
        explicit = frozenset(variants[1]) if variants else frozenset()
        from qhost.devices.noise import FrozenNoiseModel

        cal = self.calibration
        keep = frozenset(range(cal.num_qubits)) if qubits is None else frozenset(qubits)
        names = None if gates is None else frozenset(gates)
        model = FrozenNoiseModel(basis_gates=list(cal.basis_gates))
        build = self.kraus_error if kraus else self.gate_error
        # filled directly rather than through add_quantum_error: its ideal() check runs a Clifford
        # conversion per error term (most of from_backend's time); ideal errors are never built here
        for q in sorted(keep & (cal.readout.keys() | readout_kind.keys())):
            readout = self._readout_for(q, readout_kind.get(q, "measure"))
            if readout is not None:
                model._local_readout_errors[(q,)] = readout
                model._noise_instructions.add("measure")
                model._noise_qubits.add(q)
        for inst in cal.instructions:
            if names is not None and inst.name not in names:
                continue
            for qs in inst.props:
                if len(qs) == 1 and (inst.name, qs[0]) in explicit:
                    continue  # the circuit carries this error after each such instruction
                if keep.issuperset(qs):
                    error = build(inst.name, qs)
                    if error is not None:
                        model._local_quantum_errors.setdefault(inst.name, {})[qs] = error
                        model._noise_instructions.add(inst.name)
                        model._noise_qubits.update(qs)
        delay = self.delay_pass()
        if delay is not None:
            model._custom_noise_passes.append(delay)
        return model
