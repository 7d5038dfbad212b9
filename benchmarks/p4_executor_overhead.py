"""P4: overhead of AerExecutor over a direct ``AerSimulator.run`` (goal: ratio ≤ 1.05).

A 20-qubit quantum-volume circuit (depth 20, seed 1234), 1000 shots, ``method="statevector"`` pinned
on both sides (otherwise Aer may pick another method), the same ``seed_simulator``. Runs are
interleaved (alternating who goes first) so load hits both sides alike; medians and minimums
are reported (on a busy machine the minimum ratio is the steadier overhead figure).

Also reports (smaller, latency-bound cases): Bell on ``ideal@aer``, noisy GHZ-5 on ``fake_manila@aer``
and GHZ-5 on ``fake_sherbrooke@aer`` with the trimmed vs the full noise model, through the warm
``counts`` program path.

On a shared machine, OpenMP threads make single timings swing 2-3x; ``--threads 1`` pins Aer to one
thread on both sides for a steadier ratio.

Usage::

    python benchmarks/p4_executor_overhead.py [--qubits 20] [--repeats 7] [--shots 1000]
        [--threads 0] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

__all__ = ["main"]

GHZ5 = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\ncreg c[5];\nh q[0];\n'
    "cx q[0],q[1];\ncx q[1],q[2];\ncx q[2],q[3];\ncx q[3],q[4];\nmeasure q -> c;\n"
)
BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
)


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def p4(qubits: int, repeats: int, shots: int, threads: int = 0) -> dict[str, float]:
    from qiskit.circuit.library import quantum_volume
    from qiskit_aer import AerSimulator

    from qhost.catalog import default_catalog
    from qhost.executors.aer.executor import AerExecutor

    circuit = quantum_volume(qubits, seed=1234)
    circuit.measure_all()
    direct_sim = AerSimulator(method="statevector", max_parallel_threads=threads)
    executor = AerExecutor(method="statevector", max_parallel_threads=threads)
    ideal = default_catalog().device("ideal")

    def direct() -> object:
        return direct_sim.run(circuit, shots=shots, seed_simulator=1).result().get_counts()

    def ours() -> object:
        return executor.counts(circuit, shots, ideal, seed=1)

    assert direct() == ours(), "executor and direct Aer disagree for the same seed"
    direct(), ours()
    d_times: list[float] = []
    o_times: list[float] = []
    pairs = [(direct, d_times), (ours, o_times)]
    for i in range(repeats):
        for fn, bucket in pairs if i % 2 == 0 else pairs[::-1]:  # alternate who goes first
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    d, o = statistics.median(d_times) * 1e3, statistics.median(o_times) * 1e3
    d_min, o_min = min(d_times) * 1e3, min(o_times) * 1e3
    return {
        "direct_ms": d,
        "executor_ms": o,
        "ratio": o / d,
        "direct_min_ms": d_min,
        "executor_min_ms": o_min,
        "ratio_min": o_min / d_min,
    }


def latency(repeats: int) -> dict[str, float]:
    from qiskit import transpile
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    from qhost.catalog import default_catalog
    from qhost.executors.circuits import parse_qasm
    from qhost.programs.counts import run

    def program(backend: str, qasm: str) -> Callable[[], object]:
        inputs = json.dumps({"qasm": qasm, "shots": 1000, "seed": 1})
        return lambda: run(backend, inputs)

    from qiskit import qasm2
    from qiskit.circuit.random import random_circuit

    random5 = qasm2.dumps(random_circuit(5, 5, measure=True, seed=11))
    out = {
        "bell_ideal_ms": median_ms(program("ideal@aer", BELL), repeats * 20),
        "random5_ideal_ms": median_ms(program("ideal@aer", random5), repeats * 20),
        "ghz5_fake_manila_ms": median_ms(program("fake_manila@aer", GHZ5), repeats * 3),
        "ghz5_fake_sherbrooke_trimmed_ms": median_ms(program("fake_sherbrooke@aer", GHZ5), repeats * 3),
    }
    sherbrooke = default_catalog().device("fake_sherbrooke")
    isa = transpile(parse_qasm(GHZ5), sherbrooke.backend(), optimization_level=1, seed_transpiler=0)
    full = AerSimulator(noise_model=NoiseModel.from_backend(sherbrooke.backend()))  # what a naive server does
    out["ghz5_fake_sherbrooke_full_model_ms"] = median_ms(
        lambda: full.run(isa, shots=1000, seed_simulator=1).result(), max(3, repeats // 2)
    )
    return out


def methods(repeats: int) -> dict[str, float]:
    """Noisy GHZ-5 on fake_manila, 1000 shots, per Aer method (trimmed model; all 5 qubits active)."""
    from qiskit_aer import AerSimulator

    from qhost.catalog import default_catalog
    from qhost.executors import get_executor
    from qhost.executors.circuits import parse_qasm

    manila = default_catalog().device("fake_manila")
    prepared = get_executor("aer").prepare(parse_qasm(GHZ5), manila)
    mixture, kraus = manila.noise_model(prepared.active), manila.noise_model(prepared.active, kraus=True)
    out = {}
    for label, method, model in [
        ("automatic (Aer picks density_matrix)", "automatic", mixture),
        ("density_matrix", "density_matrix", mixture),
        ("density_matrix + Kraus-collapsed noise (qhost)", "density_matrix", kraus),
        ("statevector (trajectories)", "statevector", mixture),
        ("stabilizer", "stabilizer", mixture),
    ]:
        sim = AerSimulator(method=method, noise_model=model)
        out[label] = median_ms(
            lambda sim=sim: sim.run(prepared.circuit, shots=1000, seed_simulator=1).result(), repeats
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument(
        "--threads", type=int, default=0, help="Aer max_parallel_threads on both sides (0 = all)"
    )
    parser.add_argument("--quick", action="store_true", help="skip the latency section")
    args = parser.parse_args()
    result = p4(args.qubits, args.repeats, args.shots, args.threads)
    print(
        f"P4 QV{args.qubits} statevector, {args.shots} shots: direct {result['direct_ms']:.1f} ms, "
        f"AerExecutor {result['executor_ms']:.1f} ms, ratio {result['ratio']:.3f} (goal <= 1.05); "
        f"min: direct {result['direct_min_ms']:.1f} ms, AerExecutor {result['executor_min_ms']:.1f} ms, "
        f"ratio {result['ratio_min']:.3f}"
    )
    if not args.quick:
        for name, value in latency(args.repeats).items():
            print(f"{name}: {value:.2f}")
        for name, value in methods(args.repeats).items():
            print(f"noisy GHZ-5 fake_manila, {name}: {value:.2f} ms")


if __name__ == "__main__":
    main()
