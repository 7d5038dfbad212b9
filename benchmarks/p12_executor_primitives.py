"""P12: the stock client's executor primitives (samplex items) on qhost vs IBM's local testing mode.

Two workloads, each on fake_manila and fake_sherbrooke, ``--repeat`` runs after one warm-up:

- ``estimator_res1``: ``executor_estimator.Estimator`` at resilience level 1 (TREX, measurement
  twirling, default precision 1/64: 32 randomisations x 128 shots, plus the TREX calibration item) for
  ``<ZZI + XXX>`` on a GHZ-3 circuit;
- ``sampler_twirled``: ``executor_sampler.Sampler`` with gate and measurement twirling, GHZ-3, 4096 shots.

Per cell: end to end through the stock client against a ``qhost serve`` subprocess (``run().result()``,
client pre- and post-processing included), server-side (the worker's running -> finished span from
``job.metrics()``), and IBM's local testing mode (``Estimator(mode=FakeManilaV2())`` etc., in this process,
the same client code around Aer). A local-mode run that raises is reported with its error.
Targets (issue 12): >= 5x faster than local mode on fake_manila; < 0.5 s server-side per job on
fake_sherbrooke.

Usage::

    python benchmarks/p12_executor_primitives.py [--repeat 10] [--workers 1] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from p3_runtime import _isa, _ms, _span, _start_server, _stop  # noqa: E402

__all__ = ["main"]

DEVICES = {"fake_manila": "FakeManilaV2", "fake_sherbrooke": "FakeSherbrooke"}


def _ghz3(measure: bool) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    if measure:
        qc.measure_all()
    return qc


def _primitive(kind: str, mode: Any) -> Any:
    from qiskit_ibm_runtime.executor_estimator import Estimator
    from qiskit_ibm_runtime.executor_sampler import Sampler

    if kind == "estimator_res1":
        estimator = Estimator(mode=mode)
        estimator.options.resilience_level = 1
        return estimator
    sampler = Sampler(mode=mode)
    sampler.options.twirling.enable_gates = True
    sampler.options.twirling.enable_measure = True
    return sampler


def _pub(kind: str, backend: Any) -> Any:
    from qiskit.quantum_info import SparsePauliOp

    if kind == "estimator_res1":
        circuit = _isa(_ghz3(False), backend)
        observable = SparsePauliOp.from_list([("ZZI", 1.0), ("XXX", 1.0)]).apply_layout(circuit.layout)
        return (circuit, observable)
    return (_isa(_ghz3(True), backend), None, 4096)


def _time_runs(primitive: Any, pub: Any, repeat: int, spans: list[float] | None) -> list[float]:
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        job = primitive.run([pub])
        job.result()
        if i:  # the first run warms the worker (device, noise model, samplomatic)
            times.append(time.perf_counter() - start)
            if spans is not None:
                spans.append(_span(job))
    return times


def _local(kind: str, device: str, repeat: int) -> dict[str, Any]:
    from qiskit_ibm_runtime import fake_provider

    backend = getattr(fake_provider, DEVICES[device])()
    try:
        times = _time_runs(_primitive(kind, backend), _pub(kind, backend), repeat, None)
    except Exception as exc:  # local mode's own failure (e.g. Aer memory on 127 qubits) is a result
        return {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    return _ms(times)


def cell(service: Any, kind: str, device: str, repeat: int) -> dict[str, Any]:
    """One workload on one device: qhost end to end and server-side, and local testing mode."""
    backend = service.backend(f"{device}@aer")
    spans: list[float] = []
    e2e = _time_runs(_primitive(kind, backend), _pub(kind, backend), repeat, spans)
    local = _local(kind, device, repeat)
    out: dict[str, Any] = {"qhost_end_to_end": _ms(e2e), "qhost_server": _ms(spans), "local_mode": local}
    if "median_ms" in local:
        out["speedup_end_to_end"] = round(local["median_ms"] / out["qhost_end_to_end"]["median_ms"], 2)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", default=None, help="also write the JSON result here")
    args = parser.parse_args(argv)
    from qhost.client.runtime import connect

    report: dict[str, Any] = {"args": vars(args)}
    with tempfile.TemporaryDirectory() as data_dir:
        proc, url = _start_server(data_dir, args.workers)
        try:
            service = connect(url)
            for kind in ("estimator_res1", "sampler_twirled"):
                for device in DEVICES:
                    report[f"{kind}/{device}"] = cell(service, kind, device, args.repeat)
                    print(kind, device, json.dumps(report[f"{kind}/{device}"]), flush=True)
        finally:
            _stop(proc)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")
    return report


if __name__ == "__main__":
    main()
