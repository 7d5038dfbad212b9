"""cuStateVec executor on a real GPU against Aer (skipped, with the reason, where there is none)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from scipy.stats import chi2_contingency


def _reason() -> str | None:
    path = Path(__file__).with_name("conftest.py")
    spec = importlib.util.spec_from_file_location("_gpu_conftest_probe", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.gpu_skip_reason()


REASON = _reason()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


@pytest.fixture(scope="module")
def executor():
    from qhost.executors.custatevec.executor import CuStateVecExecutor

    return CuStateVecExecutor(seed_simulator=7)


@pytest.fixture(scope="module")
def catalog():
    from qhost.catalog import Catalog

    return Catalog()


def _aer_statevector(qc: QuantumCircuit) -> np.ndarray:
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method="statevector")
    native = transpile(qc, sim, optimization_level=0)
    native.save_statevector()
    return np.asarray(sim.run(native).result().get_statevector())


def _device_statevector(
    executor, qc: QuantumCircuit, max_fused: int, precision: str = "double"
) -> np.ndarray:
    from qhost.executors.custatevec.executor import CuStateVecExecutor
    from qhost.executors.statevector.lowering import lower_circuit

    state = CuStateVecExecutor(precision=precision)._make_state(qc.num_qubits)
    for op in lower_circuit(qc).bind(max_fused=max_fused):
        state.apply(op)
    state.sync()
    return state.cp.asnumpy(state.sv)


def _pvalue(a: dict[str, int], b: dict[str, int]) -> float:
    keys = sorted(set(a) | set(b))
    return float(
        chi2_contingency(np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])).pvalue
    )


@pytest.mark.parametrize("max_fused", [0, 4])
def test_every_gate_kind_matches_aer_on_5_qubits(executor, circuits, max_fused):
    for seed in range(10):
        qc = circuits.random_circuit(5, 60, seed)
        fid = abs(np.vdot(_aer_statevector(qc), _device_statevector(executor, qc, max_fused))) ** 2
        assert fid > 1 - 1e-10, seed


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_random_20_qubit_circuit_fidelity_complex128(executor, circuits, seed):
    qc = circuits.random_circuit(20, 300, seed)
    fid = abs(np.vdot(_aer_statevector(qc), _device_statevector(executor, qc, 4))) ** 2
    assert fid > 1 - 1e-10


def test_complex64_fidelity(executor, circuits):
    qc = circuits.random_circuit(16, 200, 3)
    fid = abs(np.vdot(_aer_statevector(qc), _device_statevector(executor, qc, 4, "single"))) ** 2
    assert fid > 1 - 1e-5


def test_sampled_counts_match_aer(executor, catalog, circuits):
    from qhost.executors.aer.executor import AerExecutor

    qc = circuits.random_circuit(10, 80, 5)
    qc.measure_all()
    device = catalog.device("ideal")
    ours = executor.counts(qc, 20_000, device, seed=1)
    aer = AerExecutor(method="statevector").counts(qc, 20_000, device, seed=2)
    assert _pvalue(ours, aer) > 1e-3


def test_mid_circuit_measurement_and_reset_match_aer(executor, catalog, circuits):
    from qhost.executors.aer.executor import AerExecutor

    qc = circuits.random_circuit(6, 50, 9, mid_measure=True)
    qc.measure(range(6), range(6))
    device = catalog.device("ideal")
    ours = executor.counts(qc, 10_000, device, seed=3)
    aer = AerExecutor(method="statevector").counts(qc, 10_000, device, seed=4)
    assert _pvalue(ours, aer) > 1e-3


def test_noisy_ghz_fake_manila_matches_aer_within_3_sigma(executor, catalog, circuits):
    from qhost.executors.aer.executor import AerExecutor

    device = catalog.device("fake_manila")
    n, m = 20_000, 100_000
    ours = executor.counts(circuits.ghz(5), n, device, seed=5)
    aer = AerExecutor().counts(circuits.ghz(5), m, device, seed=6)
    for key in ("00000", "11111"):
        p, q = ours.get(key, 0) / n, aer.get(key, 0) / m
        assert abs(p - q) <= 3 * np.sqrt(p * (1 - p) / n + q * (1 - q) / m), key


def test_estimator_matches_aer_over_many_parameter_sets(executor, catalog, circuits):
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.quantum_info import SparsePauliOp

    from qhost.executors.aer.executor import AerExecutor

    qc = circuits.param_circuit(8)
    values = np.random.default_rng(0).uniform(-2, 2, (200, qc.num_parameters))
    obs = SparsePauliOp(["ZZIIIIII", "IIIXXIII", "YIIIIIIZ"], [1.0, 0.5, -0.25])
    pub = EstimatorPub.coerce((qc, obs, values))
    device = catalog.device("ideal")
    ours = executor.estimate([pub], device)[0].data.evs
    aer = AerExecutor(method="statevector").estimate([pub], device)[0].data.evs
    np.testing.assert_allclose(ours, aer, atol=1e-9)


def test_sampler_result_shape_and_registers(executor, catalog, circuits):
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    qc = circuits.param_circuit(4)
    qc.measure_all()
    values = np.random.default_rng(1).uniform(-2, 2, (3, 2, qc.num_parameters))
    result = executor.sample([SamplerPub.coerce((qc, values, 256))], catalog.device("ideal"))
    assert result[0].data.meas.shape == (3, 2) and result[0].data.meas.num_shots == 256


def test_state_larger_than_free_memory_is_refused(executor):
    from qhost.errors import CircuitTooLarge

    with pytest.raises(CircuitTooLarge, match="free on CUDA device"):
        executor._make_state(40)
