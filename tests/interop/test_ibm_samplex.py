"""The stock 0.51 client's executor primitives (samplex items) against a real qhost server.

Twirled executor Sampler, executor Estimator at resilience 0/1/2 with default options, on fake_manila
and on 127-qubit fake_sherbrooke (which IBM's local mode cannot run), in sessions and batches, seeded
runs repeat, and mitigation visibly brings a noisy estimate closer to the exact value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from .conftest import qhost_server

pytestmark = [pytest.mark.interop, pytest.mark.slow]

MANILA = "fake_manila@aer"
SHERBROOKE = "fake_sherbrooke@aer"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(url, app)`` of a qhost server with one worker process on a free loopback port."""
    with qhost_server(tmp_path_factory.mktemp("samplex"), process_workers=1, threads=8) as pair:
        yield pair


def isa(circuit: Any, backend: Any) -> Any:
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1).run(circuit)


def ghz(n: int, measure: bool) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if measure:
        qc.measure_all()
    return qc


def estimate(backend: Any, circuit: Any, observable: Any, level: int, seed: int = 5) -> tuple[float, float]:
    from qiskit_ibm_runtime.executor_estimator import Estimator

    estimator = Estimator(mode=backend)
    estimator.options.resilience_level = level
    estimator.options.simulator.seed_simulator = seed
    result = estimator.run([(circuit, observable.apply_layout(circuit.layout))]).result()
    return float(result[0].data.evs), float(result[0].data.stds)


@pytest.mark.parametrize("name", [MANILA, SHERBROOKE])
def test_twirled_executor_sampler_runs(service: Any, name: str) -> None:
    from qiskit_ibm_runtime.executor_sampler import Sampler

    backend = service.backend(name)
    sampler = Sampler(mode=backend)
    sampler.options.twirling.enable_gates = True
    sampler.options.twirling.enable_measure = True
    sampler.options.simulator.seed_simulator = 3
    circuit = isa(ghz(3, measure=True), backend)
    first = sampler.run([(circuit, None, 1000)]).result()[0].data.meas.get_counts()
    second = sampler.run([(circuit, None, 1000)]).result()[0].data.meas.get_counts()
    assert sum(first.values()) == 1024 and first == second  # 16 twirls x 64 shots; seeded: repeats
    assert first.get("000", 0) + first.get("111", 0) > 800  # twirls undone by the client
    assert set(first) - {"000", "111"}  # device noise applied


@pytest.mark.parametrize("name", [MANILA, SHERBROOKE])
@pytest.mark.parametrize("level", [0, 1])
def test_executor_estimator_with_default_options(service: Any, name: str, level: int) -> None:
    from qiskit.quantum_info import SparsePauliOp

    backend = service.backend(name)
    circuit = isa(ghz(3, measure=False), backend)
    observable = SparsePauliOp.from_list([("ZZI", 1.0), ("XXX", 1.0)])
    value, std = estimate(backend, circuit, observable, level)
    assert 1.3 < value < 2.2 and 0 < std < 0.1, (value, std)  # exact: 2


def test_executor_primitives_in_a_session_and_a_batch(service: Any) -> None:
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime import Batch, Session
    from qiskit_ibm_runtime.executor_estimator import Estimator
    from qiskit_ibm_runtime.executor_sampler import Sampler

    backend = service.backend(MANILA)
    circuit = isa(ghz(2, measure=False), backend)
    observable = SparsePauliOp("ZZ").apply_layout(circuit.layout)
    with Session(backend=backend) as session:
        job = Estimator(mode=session).run([(circuit, observable)])
        assert 0.8 < float(job.result()[0].data.evs) <= 1.05 and job.session_id == session.session_id
    with Batch(backend=backend) as batch:
        sampler = Sampler(mode=batch)
        sampler.options.twirling.enable_measure = True
        jobs = [sampler.run([(isa(ghz(2, measure=True), backend), None, 256)]) for _ in range(2)]
        assert [j.result()[0].data.meas.num_shots for j in jobs] == [256, 256]  # 4 twirls x 64
        assert {j.session_id for j in jobs} == {batch.session_id}


def test_mitigation_brings_a_noisy_estimate_closer_to_exact(service: Any) -> None:
    """A 5-qubit GHZ-like circuit on fake_manila: resilience 0 is off by many standard errors; TREX
    (level 1) and TREX + ZNE by gate folding (level 2) are closer."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp, Statevector

    backend = service.backend(MANILA)
    qc = QuantumCircuit(5)
    qc.h(0)
    for i in range(4):
        qc.cx(i, i + 1)
    for i in reversed(range(4)):
        qc.cx(i, i + 1)
    for i in range(4):
        qc.cx(i, i + 1)
    observable = SparsePauliOp.from_list([("ZZIII", 1.0), ("IIZZI", 1.0), ("IIIZZ", 1.0)])
    exact = float(Statevector(qc).expectation_value(observable).real)
    circuit = isa(qc, backend)
    (raw, raw_std), (trex, _), (zne, _) = (estimate(backend, circuit, observable, lvl) for lvl in (0, 1, 2))
    print(f"exact {exact:.3f}  level0 {raw:.3f}±{raw_std:.3f}  level1 {trex:.3f}  level2 {zne:.3f}")
    assert abs(raw - exact) > 3 * raw_std
    assert abs(trex - exact) < abs(raw - exact)
    assert abs(zne - exact) < abs(raw - exact)
    assert np.isfinite([raw, trex, zne]).all()


def test_calibrator_is_refused_at_submit_naming_the_alternative(service: Any) -> None:
    from qiskit_ibm_runtime.calibrator import Calibrator
    from qiskit_ibm_runtime.exceptions import IBMRuntimeError

    with pytest.raises(IBMRuntimeError, match="Calibrator is not emulated.*executor Estimator"):
        Calibrator(mode=service.backend(MANILA)).run()


def model_layer_infidelity(backend_name: str, gate: str, qubits: tuple[int, int]) -> float:
    """1 - process fidelity of the device noise model's error on ``gate`` at ``qubits``."""
    from qiskit.quantum_info import process_fidelity

    from qhost.catalog import default_catalog

    model = default_catalog().device(backend_name).noise_model()
    error = model._local_quantum_errors[gate][qubits]
    return 1.0 - float(process_fidelity(error.to_quantumchannel()))


@pytest.mark.parametrize("learner", ["executor_noise_learner", "noise_learner_v3"])
def test_noise_learning_runs_on_the_simulator_and_feeds_pec(service: Any, learner: str) -> None:
    """Both NoiseLearnerV3s (the executor one, learning client-side from experiments run here, and the
    legacy ``noise-learner`` program, learning server-side) learn the CX layer's noise on the simulator;
    the learned total error is close to the device model's own, and PEC and PEA with it are closer to
    exact than resilience level 0."""
    import importlib

    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime.executor_estimator import Estimator

    NoiseLearnerV3 = importlib.import_module(f"qiskit_ibm_runtime.{learner}").NoiseLearnerV3  # noqa: N806
    backend = service.backend(MANILA)
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    circuit = isa(qc, backend)
    observable = SparsePauliOp("ZZ").apply_layout(circuit.layout)
    estimator = Estimator(mode=backend)
    estimator.options.resilience.pec_mitigation = True
    estimator.options.simulator.seed_simulator = 3
    layers = estimator.find_unique_layers([(circuit, observable)])
    noise_learner = NoiseLearnerV3(mode=backend)
    maps = noise_learner.run(layers).result().to_pauli_lindblad_maps()
    assert len(maps) == len(layers) == 1
    learned = float(np.sum(maps[0].rates))
    physical = tuple(circuit.layout.final_index_layout()[:2])
    gate = next(inst.operation.name for inst in circuit.data if len(inst.qubits) == 2)
    model = model_layer_infidelity("fake_manila", gate, tuple(sorted(physical)))
    print(f"learned total Pauli-Lindblad rate {learned:.4f}; model {gate} process infidelity {model:.4f}")
    assert 0.5 * model < learned < 2.0 * model
    estimator.options.resilience.layer_noise_model = list(zip(layers, maps, strict=True))
    pec = float(estimator.run([(circuit, observable)], precision=0.05).result()[0].data.evs)
    raw, raw_std = estimate(backend, circuit, SparsePauliOp("ZZ"), 0)
    pea_estimator = Estimator(mode=backend)
    pea_estimator.options.resilience.zne_mitigation = True
    pea_estimator.options.resilience.zne.amplifier = "pea"
    pea_estimator.options.resilience.layer_noise_model = list(zip(layers, maps, strict=True))
    pea_estimator.options.simulator.seed_simulator = 5
    pea = float(pea_estimator.run([(circuit, observable)], precision=0.03).result()[0].data.evs)
    print(f"exact 1.000  level0 {raw:.3f}±{raw_std:.3f}  PEC {pec:.3f}  PEA {pea:.3f}")
    assert abs(pec - 1.0) < abs(raw - 1.0)
    assert abs(pea - 1.0) < abs(raw - 1.0)
