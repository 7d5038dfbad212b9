"""The cuStateVec executor on a machine without a GPU: availability, errors, and its PUB plumbing.

The PUB plumbing (``sample_pub``, ``estimate_pub``, ``run_counts``) takes a state factory; here it gets
the test-only numpy reference, so shapes, broadcasting, registers and noise handling are checked on
CPU. The executor's own ``counts``/``sample``/``estimate`` run the same way through a test subclass
whose ``_make_state`` returns that reference. Production code only ever uses the GPU ``DeviceState``.
"""

from __future__ import annotations

import numpy as np
import pytest
from qhost_testkit import assert_split, ghz_split
from qiskit import QuantumCircuit
from qiskit.primitives import BitArray, StatevectorEstimator, StatevectorSampler
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer.noise import NoiseModel, depolarizing_error
from scipy.stats import chi2_contingency

from qhost.errors import CircuitTooLarge, ExecutorError, ExecutorUnavailable, InvalidOption
from qhost.executors import executor_class, get_executor
from qhost.executors.custatevec.executor import (
    INSTALL_HINT,
    CuStateVecExecutor,
    check_state_fits,
    gpu_device_ordinal,
    map_gpu_errors,
)
from qhost.executors.statevector.pubs import estimate_pub, pack_bits, run_counts, sample_pub


def test_availability_names_the_install_command_without_gpu_packages():
    availability = CuStateVecExecutor.availability()
    assert not availability.ok and availability.reason == INSTALL_HINT


def test_asking_for_the_executor_raises_executor_unavailable():
    assert executor_class("custatevec") is CuStateVecExecutor
    with pytest.raises(ExecutorUnavailable, match=r"install with pip install -e '\.\[gpu\]'"):
        get_executor("custatevec")


def test_catalog_lists_custatevec_backends_as_unavailable_with_the_reason():
    from qhost.catalog import Catalog

    entries = [e for e in Catalog(executors=["custatevec"]).entries() if e.device == "fake_manila"]
    assert entries and not entries[0].available and "'.[gpu]'" in entries[0].reason


def test_state_too_large_for_free_memory_is_refused_with_the_limit():
    with pytest.raises(
        CircuitTooLarge, match=r"34 qubits in complex128 need .* over the limit of 85,899,345,920"
    ):
        check_state_fits(34, "double", 80 << 30, device=0)


def test_single_precision_halves_the_requirement():
    check_state_fits(32, "single", 32 << 30)
    with pytest.raises(CircuitTooLarge, match="complex64"):
        check_state_fits(33, "single", 32 << 30)


def test_device_ordinal_option_then_qhost_then_seed_variable(monkeypatch):
    monkeypatch.setenv("QRS_GPU_DEVICE", "2")
    assert gpu_device_ordinal() == 2
    monkeypatch.setenv("QHOST_GPU_DEVICE", "1")
    assert gpu_device_ordinal() == 1 and gpu_device_ordinal(3) == 3


def test_bad_device_variable_is_an_invalid_option(monkeypatch):
    monkeypatch.setenv("QHOST_GPU_DEVICE", "gpu0")
    with pytest.raises(InvalidOption, match="QHOST_GPU_DEVICE must be a CUDA device ordinal"):
        gpu_device_ordinal()


def test_unknown_and_bad_options_are_refused():
    with pytest.raises(InvalidOption, match="valid:"):
        CuStateVecExecutor(fusion=3)
    with pytest.raises(InvalidOption, match="Invalid precision 'half'"):
        CuStateVecExecutor(precision="half")


def test_foreign_gpu_errors_are_mapped():
    with pytest.raises(ExecutorError, match="cuStateVec failed: RuntimeError: boom"), map_gpu_errors():
        raise RuntimeError("boom")
    with pytest.raises(CircuitTooLarge, match="GPU out of memory"), map_gpu_errors():
        raise MemoryError("out of memory allocating 8 GiB")


def test_packed_bits_have_the_bitarray_layout(rng):
    bits = rng.integers(0, 2, (50, 11)).astype(np.uint8)
    samples = ["".join(str(b) for b in row[::-1]) for row in bits]
    expected = BitArray.from_samples(samples, num_bits=11)
    np.testing.assert_array_equal(BitArray(pack_bits(bits), 11).array, expected.array)


def _pvalue(a: dict[str, int], b: dict[str, int]) -> float:
    keys = sorted(set(a) | set(b))
    return float(
        chi2_contingency(np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])).pvalue
    )


def test_sampler_pub_matches_the_reference_sampler(ref, circuits, rng):
    qc = circuits.param_circuit(4)
    qc.measure_all()
    values = rng.uniform(-2, 2, (3, qc.num_parameters))
    result = sample_pub(SamplerPub.coerce((qc, values, 8000)), None, ref.NumpyState, rng, 4)
    expected = StatevectorSampler(seed=1).run([(qc, values, 8000)]).result()[0]
    assert result.data.meas.shape == (3,) and result.data.meas.num_shots == 8000
    assert all(
        _pvalue(result.data.meas[i].get_counts(), expected.data.meas[i].get_counts()) > 1e-3 for i in range(3)
    )


def test_sampler_registers_stay_shot_aligned(ref, rng):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    from qiskit.circuit import ClassicalRegister

    ca, cb = ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    qc.add_register(ca)
    qc.add_register(cb)
    qc.measure(0, ca[0])
    qc.measure(1, cb[0])
    result = sample_pub(SamplerPub.coerce((qc, None, 500)), None, ref.NumpyState, rng, 4)
    np.testing.assert_array_equal(result.data.a.array, result.data.b.array)


def test_estimator_pub_broadcasts_like_the_reference(ref, circuits, rng):
    qc = circuits.param_circuit(4)
    values = rng.uniform(-2, 2, (3, 1, qc.num_parameters))
    observables = [[SparsePauliOp(["ZZII", "XIXI"], [1.0, 0.5]), SparsePauliOp("YIIZ", 0.3), "IIII"]]
    result = estimate_pub(EstimatorPub.coerce((qc, observables, values)), None, ref.NumpyState, rng, 4, 100)
    expected = StatevectorEstimator().run([(qc, observables, values)]).result()[0]
    assert result.data.evs.shape == (3, 3)
    np.testing.assert_allclose(result.data.evs, expected.data.evs, atol=1e-10)


def test_noisy_estimator_agrees_with_aer_within_its_standard_error(ref, rng):
    from qiskit_aer.primitives import EstimatorV2

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.08, 1), ["h", "rx"])
    model.add_all_qubit_quantum_error(depolarizing_error(0.1, 2), ["cx"])
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.rx(0.4, 2)
    obs = SparsePauliOp(["ZZI", "IZZ", "XXX"])
    pub = EstimatorPub.coerce((qc, obs))
    ours = estimate_pub(pub, model, ref.NumpyState, rng, 4, 4000)
    aer = EstimatorV2(options={"backend_options": {"noise_model": model}}).run([(qc, obs)]).result()[0]
    assert abs(float(ours.data.evs) - float(aer.data.evs)) <= 4 * float(ours.data.stds) + 1e-9
    assert ours.metadata["trajectories"] == 4000


def test_counts_with_noise_model_readout_only(ref, rng):
    from qiskit_aer.noise import ReadoutError

    model = NoiseModel()
    model.add_readout_error(ReadoutError([[0.8, 0.2], [0.2, 0.8]]), [0])
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    counts = run_counts(qc, 20_000, model, ref.NumpyState, rng, 4)
    assert abs(counts["1"] / 20_000 - 0.2) < 4 * np.sqrt(0.16 / 20_000)


def test_counts_without_clbits_are_empty_like_aer(ref, rng):
    qc = QuantumCircuit(2)
    qc.h(0)
    assert run_counts(qc, 10, None, ref.NumpyState, rng, 4) == {}


def test_running_without_gpu_packages_raises_the_install_hint(circuits):
    from qhost.catalog import Catalog

    device = Catalog().device("ideal")
    with pytest.raises(ExecutorUnavailable, match=r"requires cuquantum-python and CuPy"):
        CuStateVecExecutor().counts(circuits.ghz(3), 10, device)


def test_noisy_parametrised_sampler_matches_aer(ref, rng):
    from qiskit.circuit import Parameter
    from qiskit_aer.noise import ReadoutError
    from qiskit_aer.primitives import SamplerV2

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.05, 1), ["ry"])
    model.add_all_qubit_quantum_error(depolarizing_error(0.08, 2), ["cx"])
    model.add_all_qubit_readout_error(ReadoutError([[0.97, 0.03], [0.06, 0.94]]))
    theta = Parameter("t")
    qc = QuantumCircuit(2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    qc.measure_all()
    values = np.array([[0.3], [1.2], [2.5]])
    ours = sample_pub(SamplerPub.coerce((qc, values, 6000)), model, ref.NumpyState, rng, 4)
    aer = SamplerV2(options={"backend_options": {"noise_model": model}, "run_options": {"seed_simulator": 3}})
    expected = aer.run([(qc, values, 6000)]).result()[0]
    for i in range(3):
        assert _pvalue(ours.data.meas[i].get_counts(), expected.data.meas[i].get_counts()) > 1e-3


# -- the executor's own entry points, with the numpy reference in place of the device state -------------


@pytest.fixture
def numpy_backed(ref):
    """``CuStateVecExecutor`` whose ``_make_state`` returns the test-only numpy reference state."""

    class NumpyBacked(CuStateVecExecutor):
        def _make_state(self, num_qubits):
            return ref.NumpyState(num_qubits)

    return NumpyBacked(seed_simulator=11)


@pytest.fixture(scope="module")
def catalog():
    from qhost.catalog import Catalog

    return Catalog()


def test_executor_counts_on_fake_manila_match_aer_with_the_device_noise(numpy_backed, catalog, circuits):
    from qhost.executors.aer.executor import AerExecutor

    device, qc = catalog.device("fake_manila"), circuits.ghz(3)
    ours = numpy_backed.counts(qc, 8000, device)
    aer = AerExecutor().counts(qc, 8000, device, seed=5)
    assert sum(v for k, v in ours.items() if k not in ("000", "111")) > 80  # the noise is applied
    assert _pvalue(ours, aer) > 1e-3


def test_executor_sample_returns_one_result_per_pub(numpy_backed, catalog, circuits):
    qc = circuits.ghz(3)
    result = numpy_backed.sample([SamplerPub.coerce((qc, None, 300))] * 2, catalog.device("ideal"), seed=2)
    assert len(result) == 2 and result.metadata == {"version": 2}
    assert_split(result[1].data.meas.get_counts(), ghz_split(3))


def test_executor_estimate_is_exact_on_the_ideal_device(numpy_backed, catalog, circuits, rng):
    qc = circuits.param_circuit(3)
    values = rng.uniform(-2, 2, (2, qc.num_parameters))
    pub = EstimatorPub.coerce((qc, [SparsePauliOp(["ZZI", "XIX"], [1.0, 0.5])], values))
    result = numpy_backed.estimate([pub], catalog.device("ideal"))
    expected = (
        StatevectorEstimator().run([(qc, [SparsePauliOp(["ZZI", "XIX"], [1.0, 0.5])], values)]).result()
    )
    np.testing.assert_allclose(result[0].data.evs, expected[0].data.evs, atol=1e-10)


def test_executor_refuses_a_pub_wider_than_the_device(numpy_backed, catalog, circuits):
    pub = SamplerPub.coerce((circuits.ghz(6), None, 10))
    with pytest.raises(CircuitTooLarge, match="Circuit has 6 qubits but device 'fake_manila' has 5"):
        numpy_backed.sample([pub], catalog.device("fake_manila"))


def test_named_variants_run_on_ideal_and_are_refused_under_device_noise(numpy_backed, catalog):
    from qiskit.circuit import ClassicalRegister
    from qiskit_ibm_runtime.circuit import MidCircuitMeasure, MidCircuitReset

    from qhost.errors import InvalidCircuit

    qc = QuantumCircuit(1)
    qc.add_register(ClassicalRegister(2, "c"))
    qc.x(0)
    qc.append(MidCircuitMeasure(), [0], [0])
    qc.append(MidCircuitReset(), [0])
    qc.measure(0, 1)
    result = numpy_backed.sample([SamplerPub.coerce((qc, None, 200))], catalog.device("ideal"))
    assert result[0].data.c.get_counts() == {"01": 200}
    refused = r"fake_kingston@custatevec: measure_2, reset_2 .*'fake_kingston@aer'"
    with pytest.raises(InvalidCircuit, match=refused):
        numpy_backed.sample([SamplerPub.coerce((qc, None, 20))], catalog.device("fake_kingston"))
