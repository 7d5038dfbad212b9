"""Time and memory to refuse a QPY payload whose header claims 2,000,000 qubits: before and after.

Before (``qpy.load`` first, the backend check after): what the IBM door did until the header check.
After: ``qhost.protocols.qpy_limits.check_qpy_sizes`` refuses from the header alone.
Each case runs in a fresh subprocess, so its peak RSS is its own.
Run: ``python benchmarks/qpy_header_refusal.py``.
"""

from __future__ import annotations

import subprocess
import sys

CASE = r"""
import io, resource, struct, sys, time
from qiskit import QuantumCircuit, qpy
qc = QuantumCircuit(2); qc.x(0); qc.cx(0, 1); qc.measure_all()
buf = io.BytesIO(); qpy.dump(qc, buf); raw = bytearray(buf.getvalue())
offset = struct.unpack_from("!Q", raw, 20)[0]
struct.pack_into("!I", raw, offset + 5, int(sys.argv[2]))
from qhost.errors import CircuitTooLarge
from qhost.protocols.qpy_limits import check_qpy_sizes
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if sys.argv[1] == "before":
    circuit = qpy.load(io.BytesIO(bytes(raw)))[0]
    refused = circuit.num_qubits > 127
else:
    try:
        check_qpy_sizes(bytes(raw)); refused = False
    except CircuitTooLarge:
        refused = True
elapsed = time.perf_counter() - start
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(f"{elapsed:.6f} {grown} {refused} {len(raw)}")
"""


def run(mode: str, qubits: int) -> tuple[float, int, bool, int]:
    out = subprocess.run(
        [sys.executable, "-c", CASE, mode, str(qubits)], capture_output=True, text=True, check=True
    )
    seconds, kib, refused, size = out.stdout.split()
    return float(seconds), int(kib), refused == "True", int(size)


def main() -> None:
    for qubits in (2_000_000, 4_000_000):
        before, after = run("before", qubits), run("after", qubits)
        print(
            f"{qubits:>9,} qubits ({before[3]} B payload): "
            f"before {before[0]:.3f} s +{before[1] / 1024:.0f} MiB peak; "
            f"after {after[0] * 1000:.3f} ms +{after[1] / 1024:.1f} MiB; "
            f"time ratio {before[0] / after[0]:,.0f}x; refused {before[2]}/{after[2]}"
        )


if __name__ == "__main__":
    main()
