"""Samplex items of the ``executor`` program: decoding, bad input, the split simulation, door runs.

Params are built with the stock client's own ``prepare`` + ``quantum_program_to_2_0`` (what
``executor_estimator.Estimator.run`` sends), so they are exactly the client's wire format.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import numpy as np
import pytest

from qhost.errors import CircuitTooLarge, InputError, PayloadTooLarge
from qhost.protocols.ibm_executor import check_items, decode_executor_params

H = {"IBM-API-Version": "2026-04-15"}


def ghz_isa(n: int = 3, measure: bool = False, backend: Any = None) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if measure:
        qc.measure_all()
    pm = generate_preset_pass_manager(
        backend=backend or FakeManilaV2(), optimization_level=1, seed_transpiler=1
    )
    return pm.run(qc)


def estimator_params(level: int = 1, seed: int | None = 11, backend: Any = None) -> dict[str, Any]:
    """What the executor Estimator sends for <ZZI + XXX> on a 3-qubit GHZ state (default: fake_manila)."""
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime.executor_estimator.prepare import prepare
    from qiskit_ibm_runtime.options_models.estimator import EstimatorOptions
    from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import quantum_program_to_2_0

    circuit = ghz_isa(backend=backend)
    observable = SparsePauliOp.from_list([("ZZI", 1.0), ("XXX", 1.0)]).apply_layout(circuit.layout)
    options = EstimatorOptions(resilience_level=level)
    options.simulator.seed_simulator = seed
    program, executor_options = prepare([(circuit, observable)], options)
    program._semantic_role = "estimator_v2"
    return quantum_program_to_2_0(program, executor_options).model_dump(mode="json")


@pytest.fixture(scope="module")
def params() -> dict[str, Any]:
    return estimator_params()


def copy(params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(params))


def test_client_params_decode_with_their_samplex(params: dict[str, Any]) -> None:
    model = decode_executor_params(copy(params))
    assert [item.item_type for item in model.quantum_program.items] == ["samplex", "samplex"]
    assert [c.num_qubits for c in check_items(model)] == [5, 5]


GARBAGE = '{"attrs": {"ssv":"4", "lookup_tables": 7}, "nodes": [1, 2, {"id": []}]}'
NESTED = '{"attrs": {"ssv":"4"}, "nodes": ' + "[" * 5000 + "]" * 5000 + "}"


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (
            lambda item: item["samplex"].update(samplex_json="{not json"),
            InputError,
            "Could not locate the ssv",
        ),
        (lambda item: item["samplex"].update(samplex_json=GARBAGE), InputError, "samplex_json does not load"),
        (lambda item: item["samplex"].update(samplex_json=NESTED), InputError, "samplex_json does not load"),
        (lambda item: item.update(shape=[10**9]), CircuitTooLarge, "over the limit of 100,000 per item"),
        (lambda item: item.update(shape=[32, 0]), InputError, "integers >= 1"),
        (lambda item: item.update(shape="big"), InputError, "'shape' must be a list"),
        (lambda item: item.update(samplex="x"), InputError, "'samplex' must be an object"),
        (lambda item: item.update(samplex_arguments={"nope": 1}), InputError, "bad samplex_arguments"),
        (lambda item: item.update(shape=[7, 3]), InputError, "does not extend the arguments' shape"),
    ],
)
def test_bad_samplex_items_get_clear_errors(
    params: dict[str, Any], mutate: Any, error: type, match: str
) -> None:
    bad = copy(params)
    mutate(bad["quantum_program"]["items"][0])
    with pytest.raises(error, match=match):
        check_items(decode_executor_params(bad))


def test_huge_samplex_json_is_refused_before_parsing(params: dict[str, Any]) -> None:
    bad = copy(params)
    bad["quantum_program"]["items"][0]["samplex"]["samplex_json"] = " " * (17 * 1024 * 1024)
    with pytest.raises(PayloadTooLarge, match="samplex_json is longer than the limit"):
        decode_executor_params(bad)


def test_wrong_shaped_argument_tensor_is_refused(params: dict[str, Any]) -> None:
    from ibm_quantum_schemas.common import CompressedTensorModel

    bad = copy(params)
    arguments = bad["quantum_program"]["items"][0]["samplex_arguments"]
    name = next(iter(arguments))
    arguments[name] = CompressedTensorModel.from_numpy(np.zeros((1, 4), dtype=np.uint8)).model_dump(
        mode="json"
    )
    with pytest.raises(InputError, match=f"bad samplex_arguments: .*{name}"):
        check_items(decode_executor_params(bad))


def test_bomb_in_samplex_arguments_is_refused(params: dict[str, Any]) -> None:
    from qhost.protocols.ibm_runtime import Limits

    bad = copy(params)
    arguments = bad["quantum_program"]["items"][0]["samplex_arguments"]
    name = next(iter(arguments))
    arguments[name]["data"] = base64.b64encode(zlib.compress(b"\0" * (8 * 1024 * 1024))).decode()
    with pytest.raises(PayloadTooLarge):
        decode_executor_params(bad, Limits(max_decompressed_bytes=1024 * 1024))


def test_noise_map_for_other_qubits_is_refused() -> None:
    """A PEC item whose Pauli-Lindblad map acts on more qubits than its layer: a clear 400."""
    from qiskit.quantum_info import PauliLindbladMap

    params = pec_params()
    item = params["quantum_program"]["items"][0]
    name = next(
        k for k, v in item["samplex_arguments"].items() if isinstance(v, dict) and "sparse_terms" in v
    )
    wrong = PauliLindbladMap.from_sparse_list([("X", [4], 0.01)], num_qubits=5)
    item["samplex_arguments"][name] = {"sparse_terms": wrong.to_sparse_list(), "num_qubits": 5}
    with pytest.raises(InputError, match="PauliLindbladMap acting on"):
        check_items(decode_executor_params(params))


def pec_params() -> dict[str, Any]:
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime.executor_estimator.prepare import prepare
    from qiskit_ibm_runtime.options_models.estimator import EstimatorOptions
    from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import quantum_program_to_2_0

    circuit = ghz_isa(2)
    observable = SparsePauliOp("ZZ").apply_layout(circuit.layout)
    options = EstimatorOptions()
    options.resilience.pec_mitigation = True
    layers = layer_noise(circuit, options)
    options.resilience.layer_noise_model = layers
    program, executor_options = prepare([(circuit, observable)], options, precision=0.1)
    program._semantic_role = "estimator_v2"
    return quantum_program_to_2_0(program, executor_options).model_dump(mode="json")


def layer_noise(circuit: Any, options: Any) -> list[Any]:
    """A small uniform Pauli-Lindblad model on each unique gate layer PEC would mitigate."""
    from qiskit.quantum_info import PauliLindbladMap
    from qiskit_ibm_runtime.executor_estimator import Estimator
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    layers = Estimator(mode=FakeManilaV2(), options=options).find_unique_layers(
        [(circuit, "Z" * circuit.num_qubits)]
    )
    out = []
    for layer in layers:
        n = len(layer.qubits)
        terms = [(p, [q], 0.002) for q in range(n) for p in "XYZ"]
        out.append((layer, PauliLindbladMap.from_sparse_list(terms, num_qubits=n)))
    return out


def test_split_simulation_matches_aer_on_the_idle_qubits() -> None:
    """Qubits simulated alone (numpy, device errors) read 1 as often as in a full noisy Aer run."""
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    from qhost.catalog import default_catalog
    from qhost.executors import get_executor
    from qhost.programs.samplex_sim import run_template, split_circuit

    device = default_catalog().device("fake_manila")
    circuit = QuantumCircuit(5, 5)
    circuit.sx(3)
    circuit.x(4)
    circuit.rz(0.3, 2)
    circuit.sx(2)
    circuit.cx(0, 1)
    circuit.measure(range(5), range(5))
    split = split_circuit(circuit)
    assert split.core == [0, 1] and [lane.qubit for lane in split.lanes] == [2, 3, 4]
    shots = 20000
    bits = run_template(
        circuit, np.zeros((1, 0)), shots, device, get_executor("aer"), np.random.default_rng(1)
    )
    ours = bits["c"][0].mean(axis=0)
    aer = AerSimulator(noise_model=device.noise_model()).run(circuit, shots=shots, seed_simulator=2).result()
    theirs = np.zeros(5)
    for key, count in aer.get_counts().items():
        theirs += count * np.array([int(b) for b in reversed(key)])
    theirs /= shots
    assert np.allclose(ours, theirs, atol=4 * np.sqrt(0.25 / shots) * 2), (ours, theirs)


@pytest.mark.slow
def test_estimator_item_runs_through_the_door_and_decodes(app: Any, client: Any) -> None:
    from qiskit_ibm_runtime.decoders.executor.decoder import ExecutorResultDecoder
    from qiskit_ibm_runtime.decoders.executor_estimator.post_processor_v0_1 import (
        estimator_v2_post_processor_v0_1,
    )

    body = {"program_id": "executor", "backend": "fake_manila@aer", "params": estimator_params(level=1)}
    texts = []
    for _ in range(2):
        job_id = client.post("/api/v1/jobs", json=body, headers=H).get_json()["id"]
        assert app.extensions["qhost"].engine.wait(job_id, timeout=120).status == "completed"
        texts.append(client.get(f"/api/v1/jobs/{job_id}/results", headers=H).get_data(True))
    assert texts[0] == texts[1] or json.loads(texts[0])["data"] == json.loads(texts[1])["data"]  # seeded
    result = estimator_v2_post_processor_v0_1(ExecutorResultDecoder.decode(texts[0]))
    assert abs(float(result[0].data.evs) - 2.0) < 0.25  # TREX-mitigated <ZZI + XXX> of GHZ(3) = 2


def test_bad_samplex_item_is_a_400_at_submit(client: Any, params: dict[str, Any]) -> None:
    bad = copy(params)
    bad["quantum_program"]["items"][0]["shape"] = [10**9]
    body = {"program_id": "executor", "backend": "fake_manila@aer", "params": bad}
    response = client.post("/api/v1/jobs", json=body, headers=H)
    assert response.status_code == 400
    assert "over the limit of 100,000 per item" in response.get_json()["errors"][0]["message"]


@pytest.mark.slow
@pytest.mark.parametrize("device", ["fake_torino", "fake_fez"])  # 133 and 156 qubits
def test_estimator_item_runs_on_the_largest_devices(app: Any, client: Any, device: str) -> None:
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.decoders.executor.decoder import ExecutorResultDecoder
    from qiskit_ibm_runtime.decoders.executor_estimator.post_processor_v0_1 import (
        estimator_v2_post_processor_v0_1,
    )

    backend = getattr(fake_provider, "FakeTorino" if device == "fake_torino" else "FakeFez")()
    body = {"program_id": "executor", "backend": f"{device}@aer", "params": estimator_params(1, 5, backend)}
    job_id = client.post("/api/v1/jobs", json=body, headers=H).get_json()["id"]
    record = app.extensions["qhost"].engine.wait(job_id, timeout=300)
    assert record.status == "completed", record.error
    text = client.get(f"/api/v1/jobs/{job_id}/results", headers=H).get_data(True)
    result = estimator_v2_post_processor_v0_1(ExecutorResultDecoder.decode(text))
    assert abs(float(result[0].data.evs) - 2.0) < 0.3  # TREX-mitigated <ZZI + XXX> of GHZ(3) = 2
