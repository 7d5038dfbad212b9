"""Every instruction of every fake device's target runs through the IBM door (issue 24 item 1).

The operation names are enumerated from the targets of all the fake devices the catalog serves (their
calibrations, read from each ``FakeBackendV2.target``), plus the client library's own variants that no
shipped target lists yet (``measure_reset``, ``xslow``). For each name, the stock qiskit-ibm-runtime
0.51 client runs a small ISA circuit using it through a real ``qhost serve`` app on a loopback socket, on
the smallest device that has it, on every available executor that accepts that device; the outcome is
compared with the circuit's ideal outcome (device noise allowed for), or the job is refused with a message
naming the executor and the instruction. The client-library variants run on ``ideal@<executor>`` (no
device lists them, so a device's ISA check refuses them before they reach qhost).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import qhost_server

pytestmark = [pytest.mark.interop, pytest.mark.slow]

LIBRARY_VARIANTS = ("measure_reset", "xslow")
"""Instructions ``qiskit_ibm_runtime.circuit.library`` defines that no shipped target lists."""
SHOTS = 400
NOISY_EXECUTORS = ("aer", "aer_density_matrix", "aer_mps", "aer_stabilizer", "custatevec")
"""Executors that accept noisy fake devices (the others simulate ``ideal`` only)."""
NOT_CLIFFORD = frozenset({"rx", "rzz"})
FRACTIONAL = frozenset({"rx", "rzz"})
"""Gates the client keeps out of a backend's target unless ``use_fractional_gates=True``."""
"""Instructions whose test circuits use non-Clifford angles (the stabilizer method refuses those)."""


def _device_ops() -> dict[str, str]:
    """Each operation name of any fake device's target → the smallest device (then by name) that has it."""
    from qhost.catalog import Catalog

    catalog = Catalog(("aer",))
    found: dict[str, tuple[int, str]] = {}
    for name in catalog.device_names():
        device = catalog.device(name)
        with warnings.catch_warnings():  # fake_nighthawk warns that its numbers are not typical
            warnings.simplefilter("ignore", UserWarning)
            calibration = device.calibration()
        if calibration is None:
            continue
        for op in calibration.basis_gates:
            best = found.get(op)
            if best is None or (device.num_qubits, name) < best:
                found[op] = (device.num_qubits, name)
    return {op: name for op, (_, name) in sorted(found.items())}


DEVICE_OPS = _device_ops()


def test_the_enumeration_covers_the_heron_variants() -> None:
    assert {"measure_2", "reset_2", "if_else", "rzz", "ecr", "cz"} <= set(DEVICE_OPS)
    assert DEVICE_OPS["reset_2"] == "fake_boston" and len(DEVICE_OPS) >= 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with qhost_server(tmp_path_factory.mktemp("instructions"), process_workers=1, threads=8) as pair:
        yield pair


def _pair(device: str, op: str) -> tuple[int, int]:
    """The calibrated qubit pair of a two-qubit ``op`` on ``device`` with the lowest indices."""
    from qhost.catalog import Catalog

    calibration = Catalog(("aer",)).device(device).calibration()
    assert calibration is not None
    keys, _, _ = calibration.supported[op]
    return min((k for k in keys if len(k) == 2), key=lambda k: (max(k), k))  # type: ignore[return-value]


def _h(qc: Any, q: int) -> None:
    """A Hadamard (up to phase) from rz/sx, which every rz/sx device has."""
    qc.rz(math.pi / 2, q)
    qc.sx(q)
    qc.rz(math.pi / 2, q)


def _circuit(op: str, device: str) -> tuple[Any, dict[str, float]]:
    """An ISA circuit using ``op`` on ``device``, and its ideal outcome distribution (bitstrings of ``c``)."""
    from qiskit import ClassicalRegister, QuantumCircuit
    from qiskit.circuit import Delay
    from qiskit.circuit.library import U1Gate, U2Gate, U3Gate

    builders: dict[str, Callable[[], tuple[Any, dict[str, float]]]] = {}

    def one_qubit(body: Callable[[Any], None], outcome: str, clbits: int = 1) -> tuple[Any, dict[str, float]]:
        qc = QuantumCircuit(1)
        qc.add_register(ClassicalRegister(clbits, "c"))
        body(qc)
        return qc, {outcome: 1.0}

    def two_qubit(body: Callable[[Any, int, int], None], outcome: str) -> tuple[Any, dict[str, float]]:
        a, b = _pair(device, op)
        qc = QuantumCircuit(max(a, b) + 1)
        qc.add_register(ClassicalRegister(2, "c"))
        body(qc, a, b)
        qc.measure([a, b], [0, 1])
        return qc, {outcome: 1.0}

    def gate(name: str, *params: float) -> Callable[[Any, int], None]:
        return lambda qc, q: getattr(qc, name)(*params, q)

    def variant(cls_name: str) -> Any:
        from qiskit_ibm_runtime.circuit import library

        return getattr(library, cls_name)()

    builders["x"] = lambda: one_qubit(lambda qc: (qc.x(0), qc.measure(0, 0)), "1")
    builders["sx"] = lambda: one_qubit(lambda qc: (qc.sx(0), qc.sx(0), qc.measure(0, 0)), "1")
    builders["id"] = lambda: one_qubit(lambda qc: (qc.x(0), qc.id(0), qc.measure(0, 0)), "1")
    builders["rz"] = lambda: one_qubit(
        lambda qc: (_h(qc, 0), qc.rz(math.pi, 0), _h(qc, 0), qc.measure(0, 0)), "1"
    )
    builders["rx"] = lambda: one_qubit(lambda qc: (qc.rx(math.pi, 0), qc.measure(0, 0)), "1")

    def u1(qc: Any) -> None:
        qc.append(U2Gate(0, math.pi), [0])  # a Hadamard
        qc.append(U1Gate(math.pi), [0])
        qc.append(U2Gate(0, math.pi), [0])
        qc.measure(0, 0)

    def u2(qc: Any) -> None:
        qc.append(U2Gate(0, math.pi), [0])
        qc.append(U2Gate(0, math.pi), [0])
        qc.measure(0, 0)

    def u3(qc: Any) -> None:
        qc.append(U3Gate(math.pi, 0, math.pi), [0])
        qc.measure(0, 0)

    builders["u1"] = lambda: one_qubit(u1, "1")
    builders["u2"] = lambda: one_qubit(u2, "0")
    builders["u3"] = lambda: one_qubit(u3, "1")
    builders["delay"] = lambda: one_qubit(
        lambda qc: (qc.x(0), qc.append(Delay(64, "dt"), [0]), qc.measure(0, 0)), "1"
    )
    builders["measure"] = lambda: one_qubit(lambda qc: (qc.x(0), qc.measure(0, 0)), "1")
    builders["reset"] = lambda: one_qubit(lambda qc: (qc.x(0), qc.reset(0), qc.measure(0, 0)), "0")
    # named variants: measure_2 mid-circuit then measure (two kinds, two readout errors, on one qubit)
    builders["measure_2"] = lambda: one_qubit(
        lambda qc: (qc.x(0), qc.append(variant("MidCircuitMeasure"), [0], [0]), qc.x(0), qc.measure(0, 1)),
        "01",
        2,
    )
    builders["reset_2"] = lambda: one_qubit(
        lambda qc: (
            qc.x(0),
            qc.append(variant("MidCircuitReset"), [0]),
            qc.x(0),
            qc.reset(0),
            qc.measure(0, 0),
        ),
        "0",
    )
    builders["measure_reset"] = lambda: one_qubit(
        lambda qc: (qc.x(0), qc.append(variant("MeasureReset"), [0], [0]), qc.measure(0, 1)), "01", 2
    )

    def xslow(qc: Any) -> None:
        qc.append(variant("XSlowGate"), [0])
        qc.x(0)
        qc.append(variant("XSlowGate"), [0])
        qc.measure(0, 0)

    builders["xslow"] = lambda: one_qubit(xslow, "1")

    def if_else(qc: Any) -> None:
        qc.x(0)
        qc.measure(0, 0)
        with qc.if_test((qc.clbits[0], 1)):
            qc.x(0)
        qc.measure(0, 1)

    def for_loop(qc: Any) -> None:
        with qc.for_loop(range(3)):
            qc.x(0)
        qc.measure(0, 0)
        qc.measure(0, 1)

    def switch_case(qc: Any) -> None:
        qc.x(0)
        qc.measure(0, 0)
        with qc.switch(qc.clbits[0]) as case:
            with case(1):
                qc.x(0)
            with case(case.DEFAULT):
                pass
        qc.measure(0, 1)

    def while_loop(qc: Any) -> None:
        qc.x(0)
        qc.measure(0, 0)
        with qc.while_loop((qc.clbits[0], 1)):
            qc.x(0)
            qc.measure(0, 0)
        qc.measure(0, 1)

    builders["if_else"] = lambda: one_qubit(if_else, "01", 2)
    builders["for_loop"] = lambda: one_qubit(for_loop, "11", 2)
    builders["switch_case"] = lambda: one_qubit(switch_case, "01", 2)
    builders["while_loop"] = lambda: one_qubit(while_loop, "00", 2)

    builders["cx"] = lambda: two_qubit(lambda qc, a, b: (qc.x(a), qc.cx(a, b)), "11")

    def cz(qc: Any, a: int, b: int) -> None:
        qc.x(a)
        _h(qc, b)
        qc.cz(a, b)
        _h(qc, b)

    def ecr(qc: Any, a: int, b: int) -> None:
        qc.ecr(a, b)  # ECR|00> = (|01> - i|11>)/sqrt2 in qiskit's order (b flips, a in superposition)

    def rzz(qc: Any, a: int, b: int) -> None:
        _h(qc, a)
        _h(qc, b)
        qc.rzz(math.pi / 2, a, b)  # e^{-i pi/4 ZZ} on |++>: then H H gives a 50/50 of |00>, |11>
        _h(qc, a)
        _h(qc, b)

    builders["cz"] = lambda: two_qubit(cz, "11")
    builders["ecr"] = lambda: _with_ideal_distribution(two_qubit(ecr, "")[0])
    builders["rzz"] = lambda: (two_qubit(rzz, "")[0], {"00": 0.5, "11": 0.5})
    assert op in builders, f"no test circuit for instruction {op!r}: add one"
    return builders[op]()


def _with_ideal_distribution(circuit: Any) -> tuple[Any, dict[str, float]]:
    """``circuit`` and the distribution of its ``c`` register from the ideal statevector (unitary part)."""
    from qiskit.quantum_info import Statevector

    body = circuit.remove_final_measurements(inplace=False)
    measured = [
        circuit.find_bit(inst.qubits[0]).index for inst in circuit.data if inst.operation.name == "measure"
    ]
    probs = Statevector(body).probabilities_dict(qargs=measured)
    return circuit, {key: p for key, p in probs.items() if p > 1e-9}


def _expected_distribution_fits(counts: dict[str, int], expected: dict[str, float]) -> None:
    """The measured distribution is within device noise of the ideal one (total variation < 0.15)."""
    shots = sum(counts.values())
    keys = set(counts) | set(expected)
    distance = 0.5 * sum(abs(counts.get(k, 0) / shots - expected.get(k, 0.0)) for k in keys)
    assert distance < 0.15, (counts, expected)


def _submit_past_the_client_check(server: tuple[str, Any], service: Any, backend: str, circuit: Any) -> Any:
    """Submit a SamplerV2 job the stock client's own ISA check would stop, as the client encodes it.

    0.51 counts ``u2``/``u3`` as fractional gates and refuses ``use_fractional_gates=True`` on the legacy
    devices that list them (``fake_burlington``), so it cannot send them at all; the job goes to the
    same door with the client's encoder, and the stock client reads it back.
    """
    import requests
    from qiskit_ibm_runtime import RuntimeEncoder

    params = {"pubs": [[circuit, None, SHOTS]], "options": {}, "version": 2, "support_qiskit": True}
    body = {
        "program_id": "sampler",
        "backend": backend,
        "params": json.loads(json.dumps(params, cls=RuntimeEncoder)),
    }
    answer = requests.post(
        f"{server[0]}/api/v1/jobs", json=body, headers={"IBM-API-Version": "2026-04-15"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    return service.job(answer.json()["id"])


def _check_refusal(message: str, executor: str, op: str, device: str) -> None:
    """Only the refusals the executors document, each saying what it cannot run (never a silent result).

    The stabilizer method runs Clifford circuits under Pauli/reset noise only (a non-Clifford angle, or
    a device whose relaxation with T2 > T1 is a Kraus channel, is refused); ddsim and qulacs run
    terminal measurements only (no mid-circuit measurement or reset).
    """
    if executor == "aer_stabilizer":
        assert "stabilizer" in message and (op in message or "kraus" in message), message
    elif executor in ("ddsim", "qulacs") and device == "ideal":
        assert executor in message and op in message and "measure" in message, message
    else:
        raise AssertionError(f"{device}@{executor} refused {op}: {message}")


def _cases() -> list[tuple[str, str]]:
    cases = [(op, device) for op, device in DEVICE_OPS.items()]
    cases += [(op, "ideal") for op in LIBRARY_VARIANTS]
    return cases


@pytest.mark.parametrize(("op", "device"), _cases(), ids=[f"{op}-{dev}" for op, dev in _cases()])
def test_instruction_runs_on_every_executor_that_accepts_the_device(
    server: tuple[str, Any], service: Any, op: str, device: str
) -> None:
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import RuntimeJobFailureError

    from qhost.catalog import Catalog
    from qhost.executors import EXECUTORS, executor_availability

    circuit, expected = _circuit(op, device)
    names = [n for n in EXECUTORS if executor_availability(n).ok]
    if device != "ideal":
        names = [n for n in names if n in NOISY_EXECUTORS]
    assert "aer" in names
    for executor in names:
        # fractional gates (rx, rzz) are in the client's target only when asked for
        backend = service.backend(f"{device}@{executor}", use_fractional_gates=op in FRACTIONAL)
        used = {inst.operation.name for inst in circuit.data}
        if used <= set(backend.target.operation_names) | {"barrier"} or device == "ideal":
            job = SamplerV2(mode=backend).run([(circuit, None, SHOTS)])
        else:
            job = _submit_past_the_client_check(server, service, backend.name, circuit)
        try:
            counts = job.result()[0].data.c.get_counts()
        except RuntimeJobFailureError as failed:
            _check_refusal(str(failed), executor, op, device)
            continue
        _expected_distribution_fits(counts, expected)
    assert Catalog(("aer",)).resolve(f"{device}@aer").available
