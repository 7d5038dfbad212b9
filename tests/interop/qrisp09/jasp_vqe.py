"""A small Jasp VQE through ``@backend_sampler`` (run in the Qrisp 0.9 venv, not imported by pytest).

    python jasp_vqe.py PORT|local [ITERATIONS] [SHOTS]

Energy ``E(a, b) = -<n0 + 2 n1>`` of ``ry(a)`` on qubit 0 and ``ry(b)`` on qubit 1 of a ``QuantumFloat(2)``
(the measured value), minimised by parameter-shift gradient descent; the ground energy is -3 (|11>, a = b =
pi). Every ``expectation_value`` call is one ``backend.run(qc, shots=...)``: on ``PORT`` through
``QrispBackend`` on a qhost server, with ``local`` on Qrisp's default simulator backend. Prints one JSON line:
``{"energies": [...], "theta": [a, b], "calls": n, "seconds": s, "first_call_s": s}``.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from qrisp import QuantumFloat, measure, ry
from qrisp.jasp import backend_sampler, expectation_value


def make_energy(backend: object, shots: int):  # noqa: ANN201 - a Jasp-compiled function
    @backend_sampler(backend=backend)
    def value(a: float, b: float):  # noqa: ANN202
        def kernel(a: float, b: float):  # noqa: ANN202
            qf = QuantumFloat(2)
            ry(a, qf[0])
            ry(b, qf[1])
            return measure(qf)

        return expectation_value(kernel, shots=shots)(a, b)

    return lambda theta: -float(value(float(theta[0]), float(theta[1])))


def main() -> None:
    where = sys.argv[1]
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    shots = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    if where == "local":
        from qrisp.default_backend import QrispSimulatorBackend

        backend: object = QrispSimulatorBackend()
    else:
        from qhost.client.qrisp_adapter import QrispBackend

        backend = QrispBackend("127.0.0.1", int(where))
    energy = make_energy(backend, shots)
    start = time.perf_counter()
    energy(np.array([0.1, 0.2]))  # traces and compiles the Jasp program once
    first = time.perf_counter() - start
    theta, energies, calls = np.array([0.3, 0.3]), [], 0
    start = time.perf_counter()
    for _ in range(iterations):
        grad = np.zeros(2)
        for k in range(2):
            shift = np.zeros(2)
            shift[k] = np.pi / 2
            grad[k] = (energy(theta + shift) - energy(theta - shift)) / 2
            calls += 2
        theta = theta - 0.5 * grad
        energies.append(energy(theta))
        calls += 1
    seconds = time.perf_counter() - start
    out = {
        "energies": energies,
        "theta": theta.tolist(),
        "calls": calls,
        "seconds": seconds,
        "first_call_s": first,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
