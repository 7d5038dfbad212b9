"""IBM's ``executor`` program: circuit items and samplex items on any executor, device noise applied.

Circuit items bind their arguments and sample. Samplex items (the client's twirled Sampler and
executor Estimator at every resilience level: TREX, ZNE by gate folding, PEA, PEC) draw their
randomisations here, server-side, with samplomatic's ``Samplex.sample`` (the maintained
implementation of the samplex semantics, including Pauli-Lindblad noise injection at the item's
scales), from one generator seeded by the client's ``simulator.seed_simulator`` when it sets one. The
bound template runs through :func:`qhost.programs.samplex_sim.run_template`, which simulates only the
entangled qubits with the executor. Results are the arrays the client's post-processors read: the
samplex outputs (measurement flips, signs...) and one bool array per classical register, shaped
``(*item.shape, shots, bits)``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from qhost.programs.progress import report

__all__ = ["broadcast_sample", "run_executor"]


def broadcast_sample(
    samplex: Any, arguments: Any, shape: tuple[int, ...], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Sample ``samplex`` over ``shape``: axes where the arguments vary are swept, the rest randomised.

    The arguments' shape right-aligns with ``shape``; each axis where it is larger than 1 indexes
    different argument values (a parameter sweep), every other axis enumerates randomisations. For
    each sweep point one ``Samplex.sample`` call draws all its randomisations; outputs come back as
    ``(*shape, *intrinsic)`` arrays.
    """
    ndim = len(shape)
    padded = (1,) * (ndim - arguments.ndim) + tuple(arguments.shape)
    sweep_axes = [i for i in range(ndim) if padded[i] > 1]
    random_axes = [i for i in range(ndim) if padded[i] <= 1]
    random_shape = tuple(shape[i] for i in random_axes)
    count = math.prod(random_shape)
    output: dict[str, np.ndarray] = {}
    for point in np.ndindex(*(shape[i] for i in sweep_axes)):
        walk = iter(point)
        arg_index = tuple(next(walk) if dim > 1 else 0 for dim in arguments.shape)
        # one worker thread: seeded draws stay in one order (repeatable); the job has its own process
        sample = dict(samplex.sample(arguments[arg_index], num_randomizations=count, rng=rng, max_workers=1))
        walk = iter(point)
        out_index = tuple(next(walk) if dim > 1 else slice(None) for dim in padded)
        for key, value in sample.items():
            if key not in output:
                output[key] = np.empty((*shape, *value.shape[1:]), dtype=value.dtype)
            output[key][out_index] = value.reshape(*random_shape, *value.shape[1:])
    return output


def _resolve(backend: str | None) -> tuple[Any, Any]:
    from qhost.programs.primitives import _resolve as resolve

    return resolve(backend)


def _circuit_item(
    model: Any, index: int, circuit: Any, device: Any, executor: Any, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    from qhost.programs.samplex_sim import run_template
    from qhost.protocols.ibm_executor import circuit_item_pub

    pub = circuit_item_pub(model, index, circuit)
    count = int(np.prod(pub.shape, dtype=int))
    if circuit.num_parameters:
        values = pub.parameter_values.as_array(circuit.parameters).reshape(count, -1)
    else:
        values = np.zeros((count, 0))
    bits = run_template(circuit, values, pub.shots, device, executor, rng)
    return {k: v.reshape(*pub.shape, *v.shape[1:]) for k, v in bits.items()}, tuple(pub.shape)


def _samplex_item(
    model: Any, index: int, circuit: Any, device: Any, executor: Any, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    from qhost.programs.samplex_sim import run_template
    from qhost.protocols.ibm_samplex import decode_samplex_item

    item = model.quantum_program.items[index]
    shape = tuple(item.shape)
    samplex, arguments = decode_samplex_item(item, index)
    samples = broadcast_sample(samplex, arguments, shape, rng)
    values = samples.pop("parameter_values")
    flat = values.reshape(int(np.prod(shape, dtype=int)), values.shape[-1])
    bits = run_template(circuit, flat, model.quantum_program.shots, device, executor, rng)
    for name, array in bits.items():
        samples[name] = array.reshape(*shape, *array.shape[1:])
    return samples, shape


def run_executor(backend: str | None, inputs: str) -> str:
    """Run IBM's ``executor`` program; returns ``QuantumProgramResultModel`` (v2.0) JSON."""
    from qhost.protocols.ibm_executor import (
        decode_executor_params,
        executor_seed,
        program_circuits,
        result_json,
    )

    model = decode_executor_params(json.loads(inputs))
    device, executor = _resolve(backend)
    rng = np.random.default_rng(executor_seed(model))
    circuits = program_circuits(model)
    data, spans = [], []
    items = model.quantum_program.items
    for index, item in enumerate(items):
        start = datetime.now(UTC)
        run = _circuit_item if item.item_type == "circuit" else _samplex_item
        arrays, shape = run(model, index, circuits[index], device, executor, rng)
        data.append(arrays)
        spans.append((start, datetime.now(UTC), shape))
        report(index + 1, len(items), "pubs")
    return result_json(model, data, spans)
