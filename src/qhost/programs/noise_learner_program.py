"""IBM's ``noise-learner`` program: learn layer noise by running learning experiments on the simulator.

The legacy ``NoiseLearnerV3`` learns server-side. qhost builds the same learning experiments the
client's ``executor_noise_learner.NoiseLearnerV3`` would (its ``prepare``: twirled layer repetitions and
TREX-style measurement experiments, from ``qiskit-noise-learning``), runs them through the ``executor``
program on the backend's executor with the device noise, and fits the Pauli-Lindblad rates with the
client's published post-processor (``qiskit-noise-learning``'s ``process_vanilla_result``). The answer
is the ``NoiseLearnerV3ResultsModel`` v0.3 the client's ``noise_learner_v3`` decoder reads. Reusing those
published functions keeps the experiment design and the fit identical to IBM's client-side learner.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from qhost.errors import InvalidOption

__all__ = ["run_noise_learner"]


def run_noise_learner(backend: str | None, inputs: str) -> str:
    """Run a noise-learner job (``inputs``: the client's params JSON); returns results v0.3 JSON."""
    from qiskit_ibm_runtime.decoders.executor.decoder import ExecutorResultDecoder
    from qiskit_ibm_runtime.decoders.executor_noise_learner.post_processor_v0_1 import (
        noise_learner_v3_post_processor_v0_1,
    )
    from qiskit_ibm_runtime.executor_noise_learner.prepare import prepare
    from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import quantum_program_to_2_0

    from qhost.programs.executor_program import run_executor
    from qhost.programs.primitives import _resolve
    from qhost.protocols.ibm_noise_learner import decode_noise_learner_params

    layers, options, _ = decode_noise_learner_params(json.loads(inputs))
    device, _ = _resolve(backend)
    fake = device.backend()
    if fake is None:
        raise InvalidOption(
            f"Noise learning needs a device with a coupling map and noise; {backend!r} is ideal: "
            "use a fake device such as 'fake_manila@aer'"
        )
    program, executor_options = prepare(layers, options, fake)
    program._semantic_role = "noise_learner_v3"
    params = quantum_program_to_2_0(program, executor_options).model_dump_json()
    executed = ExecutorResultDecoder.decode(run_executor(backend, params))
    results = noise_learner_v3_post_processor_v0_1(executed)
    return _results_json(layers, results)


def _results_json(layers: list[Any], results: Any) -> str:
    """``NoiseLearnerV3ResultsModel`` v0.3: one entry per layer, its protocol named in the metadata.

    A layer with measurements is learned with the TREX protocol, any other with the Lindblad one.
    Post-selection statistics are not measured here: TREX reports ``fraction_kept`` 1, Lindblad empty maps.
    """
    from ibm_quantum_schemas.common import F64TensorModel
    from ibm_quantum_schemas.noise_learner_v3.version_0_3 import (
        NoiseLearnerV3ResultModel,
        NoiseLearnerV3ResultsModel,
    )

    data = []
    for layer, datum in zip(layers, results.data, strict=True):
        measured = any(inst.operation.name == "measure" for inst in _body(layer))
        metadata: dict[str, Any] = (
            {"learning_protocol": "trex", "post_selection": {"fraction_kept": 1.0, "success_rates": {}}}
            if measured
            else {
                "learning_protocol": "lindblad",
                "post_selection": {"fraction_kept": {}, "success_rates": {}},
            }
        )
        data.append(
            NoiseLearnerV3ResultModel(
                generators_sparse=[gen.to_sparse_list() for gen in datum._generators],
                num_qubits=datum._generators[0].num_qubits,
                rates=F64TensorModel.from_numpy(np.asarray(datum._rates, dtype=float)),
                rates_std=F64TensorModel.from_numpy(np.asarray(datum._rates_std, dtype=float)),
                metadata=metadata,
            )
        )
    return NoiseLearnerV3ResultsModel(data=data).model_dump_json()


def _body(layer: Any) -> list[Any]:
    blocks = getattr(layer.operation, "blocks", None) or ()
    return [inst for block in blocks for inst in block.data]
