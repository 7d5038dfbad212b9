"""The legacy ``noise-learner`` program's params: checks at submit (the run itself: tests/interop)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

H = {"IBM-API-Version": "2026-04-15"}


def learner_params() -> dict[str, Any]:
    """What ``qiskit_ibm_runtime.noise_learner_v3.NoiseLearnerV3.run`` sends for one CX layer on manila."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime.executor_estimator import Estimator
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    from qiskit_ibm_runtime.noise_learner_v3.converters.version_0_3 import noise_learner_v3_inputs_to_0_3
    from qiskit_ibm_runtime.options_models import NoiseLearnerV3Options

    backend = FakeManilaV2()
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    circuit = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1).run(qc)
    estimator = Estimator(mode=backend)
    estimator.options.resilience.pec_mitigation = True
    layers = estimator.find_unique_layers([(circuit, SparsePauliOp("ZZ").apply_layout(circuit.layout))])
    model = noise_learner_v3_inputs_to_0_3(layers, NoiseLearnerV3Options())
    return model.model_dump(mode="json")


@pytest.fixture(scope="module")
def params() -> dict[str, Any]:
    return learner_params()


def submit(client: Any, params: dict[str, Any], backend: str = "fake_manila@aer") -> Any:
    body = {"program_id": "noise-learner", "backend": backend, "params": params}
    return client.post("/api/v1/jobs", json=body, headers=H)


def test_client_params_decode(params: dict[str, Any]) -> None:
    from qhost.protocols.ibm_noise_learner import decode_noise_learner_params

    layers, options, width = decode_noise_learner_params(params)
    assert len(layers) == 1 and width == 2 and options.layer_pair_depths


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"schema_version": "v9"}, r"Unsupported noise-learner schema_version 'v9'; valid: \['v0.3'\]"),
        ({"instructions": "x"}, "need 'instructions' with a base64 QPY"),
        ({"instructions": {"circuit_b64": "!!!", "qpy_version": 17}}, "not valid base64"),
        (
            {"instructions": {"circuit_b64": base64.b64encode(b"garbage").decode(), "qpy_version": 17}},
            "QISKIT",
        ),
    ],
)
def test_bad_params_are_a_400_at_submit(
    client: Any, params: dict[str, Any], change: dict, match: str
) -> None:
    import re

    response = submit(client, {**params, **change})
    assert response.status_code == 400
    assert re.search(match, response.get_json()["errors"][0]["message"])


def test_the_ideal_device_is_refused_for_learning(client: Any, params: dict[str, Any]) -> None:
    response = submit(client, params, backend="ideal@aer")
    assert response.status_code == 400
    assert "Noise learning needs a device" in response.get_json()["errors"][0]["message"]
