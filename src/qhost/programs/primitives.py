"""The IBM ``sampler`` and ``estimator`` programs (V2 primitives, params version 2).

They run in worker processes: decode the stored params with the same safe decoder the front door
used, coerce pubs with shots/precision resolved, pick the noise model (a user-supplied
``options.simulator.noise_model`` replaces the device's), call the executor and encode the
``PrimitiveResult`` with ``RuntimeEncoder`` so the stock client decodes it unchanged (or, for a client that
sends ``support_qiskit: false``, as IBM's plain JSON: ``qhost.protocols.ibm_plain``).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from qhost.errors import UnknownBackend
from qhost.programs.progress import report
from qhost.protocols.ibm_plain import plain_result, wants_plain
from qhost.protocols.ibm_runtime import coerce_pubs, decode_params, not_applied_options, simulator_options

if TYPE_CHECKING:
    from qiskit.primitives import PrimitiveResult

__all__ = ["run_estimator", "run_sampler"]


def _resolve(backend: str | None) -> tuple[Any, Any]:
    from qhost.catalog import default_catalog, parse_name
    from qhost.executors import get_executor

    if not backend:
        raise UnknownBackend("An IBM primitive job needs a backend such as 'fake_manila@aer'")
    device_name, executor_name = parse_name(backend)
    default_catalog().resolve(backend)
    return default_catalog().device(device_name), get_executor(executor_name)


def _run(program: str, backend: str | None, inputs: str) -> str:
    from qiskit_ibm_runtime import RuntimeEncoder

    decoded = decode_params(json.loads(inputs))
    pubs = coerce_pubs(program, decoded)
    if program == "estimator":
        from qhost.programs.estimator_pubs import reduce_idle_qubits

        pubs = [reduce_idle_qubits(pub) for pub in pubs]
    seed, noise_model = simulator_options(decoded)
    device, executor = _resolve(backend)
    kwargs = {"seed": seed, "noise_model": noise_model}
    started, start = datetime.now(UTC), time.perf_counter()
    if program == "sampler":
        result = _execute(executor.sample, pubs, device, kwargs, seed_step=1)
    else:
        result = _execute(executor.estimate, pubs, device, kwargs, seed_step=0)
    elapsed = time.perf_counter() - start
    result = _with_metadata(result, backend, decoded, kwargs, elapsed)
    if program == "estimator":
        result = _with_shots(result, pubs, decoded)
    if program == "sampler":
        result.metadata["execution"] = {"execution_spans": _spans(pubs, started, datetime.now(UTC))}
    if wants_plain(decoded):  # a client without Qiskit asked for IBM's plain JSON (qhost.protocols.ibm_plain)
        return json.dumps(plain_result(result))
    return json.dumps(result, cls=RuntimeEncoder)


def _execute(
    call: Any, pubs: list[Any], device: Any, kwargs: dict[str, Any], *, seed_step: int
) -> PrimitiveResult:
    """Run the PUBs: all at once when there is one; else one at a time, reporting progress after each.

    With a seed, PUB ``i`` runs with ``seed + i * seed_step``: the sampler's PUBs get distinct seeds (one
    seed for all would give identical PUBs identical samples); the estimator keeps one seed per PUB, as
    the executors' own per-PUB loops do.
    """
    if len(pubs) < 2:
        return call(pubs, device, **kwargs)  # type: ignore[no-any-return]
    from qiskit.primitives import PrimitiveResult

    results: list[Any] = []
    report(0, len(pubs), "pubs")
    seed = kwargs["seed"]
    for index, pub in enumerate(pubs):
        if seed is not None:
            kwargs = {**kwargs, "seed": seed + index * seed_step}
        part = call([pub], device, **kwargs)
        results.extend(part)
        report(len(results), len(pubs), "pubs")
    return PrimitiveResult(results, metadata=dict(part.metadata))


def _spans(pubs: list[Any], start: datetime, stop: datetime) -> Any:
    """IBM's ``execution_spans``: one span covering every pub (all parameter sets, all shots)."""
    from qiskit_ibm_runtime.execution_span import DoubleSliceSpan, ExecutionSpans

    slices = {
        index: ((*pub.shape, pub.shots), slice(0, int(np.prod(pub.shape, dtype=int))), slice(0, pub.shots))
        for index, pub in enumerate(pubs)
    }
    return ExecutionSpans([DoubleSliceSpan(start, stop, slices)])


def _with_metadata(
    result: PrimitiveResult,
    backend: str | None,
    decoded: dict[str, Any],
    kwargs: dict[str, Any],
    elapsed: float,
) -> PrimitiveResult:
    from qiskit.primitives import PrimitiveResult

    meta = dict(result.metadata)
    meta.setdefault("version", 2)
    meta["simulator"] = {
        "backend": backend,
        "seed_simulator": kwargs["seed"],
        "noise_model": "user" if kwargs["noise_model"] is not None else "device",
        "execution_seconds": round(elapsed, 6),
    }
    meta["not_applied"] = not_applied_options(decoded)
    return PrimitiveResult(list(result), metadata=meta)


def _with_shots(result: PrimitiveResult, pubs: list[Any], decoded: dict[str, Any]) -> PrimitiveResult:
    """Each Estimator PUB result's ``metadata["shots"]`` as IBM reports it."""
    from qiskit.primitives import PrimitiveResult, PubResult

    from qhost.programs.estimator_pubs import estimator_shots

    options = decoded.get("options") or {}
    level = decoded.get("resilience_level", 1)
    out = []
    for pub, pub_result in zip(pubs, result, strict=True):
        meta = {**pub_result.metadata, "shots": estimator_shots(pub.precision, options, level)}
        out.append(PubResult(pub_result.data, metadata=meta))
    return PrimitiveResult(out, metadata=result.metadata)


def run_sampler(backend: str | None, inputs: str) -> str:
    """Run a SamplerV2 job: ``inputs`` is the client's params JSON; returns PrimitiveResult JSON."""
    return _run("sampler", backend, inputs)


def run_estimator(backend: str | None, inputs: str) -> str:
    """Run an EstimatorV2 job: ``inputs`` is the client's params JSON; returns PrimitiveResult JSON."""
    return _run("estimator", backend, inputs)
