"""A QPY header claiming millions of qubits (or more instructions than its bytes hold) is refused fast.

Before: a 299-byte job claiming 2,000,000 qubits took 2.5 s and +500 MB of server memory before the
backend check refused it. Now the headers are read with ``struct`` first (``qhost.protocols.qpy_limits``).
"""

from __future__ import annotations

import base64
import json
import resource
import struct
import time
import zlib
from typing import Any

import pytest
from qiskit import QuantumCircuit

from .conftest import Server

V12_HEADER = struct.Struct("!H1cHIIQIQI")


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.x(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def _params() -> dict[str, Any]:
    from qiskit_ibm_runtime import RuntimeEncoder

    body = {"pubs": [[_bell(), None, 10]], "options": {}, "version": 2, "support_qiskit": True}
    return json.loads(json.dumps(body, cls=RuntimeEncoder))


def _forge(params: dict[str, Any], **fields: int) -> dict[str, Any]:
    """The params with the first circuit's QPY header fields replaced (``num_qubits=2_000_000`` …)."""
    blob = params["pubs"][0][0]
    raw = bytearray(zlib.decompress(base64.b64decode(blob["__value__"])))
    assert raw[6] >= 16, "this forging assumes QPY >= 16 (a table of circuit offsets)"
    offset = struct.unpack_from("!Q", raw, 19 + 1)[0]  # v10+ file header (19 bytes), type key (1)
    names = ["name_size", "kind", "phase_size", "num_qubits", "num_clbits", "metadata_size",
             "num_registers", "num_instructions", "num_vars"]  # fmt: skip
    values = dict(zip(names, V12_HEADER.unpack_from(raw, offset), strict=True))
    values.update(fields)
    V12_HEADER.pack_into(raw, offset, *values.values())
    blob["__value__"] = base64.b64encode(zlib.compress(bytes(raw))).decode()
    return params


def _post(server: Server, params: dict[str, Any]) -> Any:
    body = {"program_id": "sampler", "backend": "fake_manila@aer", "params": params}
    return server.post("/api/v1/jobs", json=body, headers=server.ibm_headers())


def _rss_kib() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.mark.parametrize("qubits", [2_000_000, 4_000_000, 2**32 - 1])
def test_millions_of_qubits_refused_fast_and_small(server: Server, qubits: int) -> None:
    params = _forge(_params(), num_qubits=qubits)
    _post(server, _params())  # warm the code path once
    rss_before = _rss_kib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    resp = _post(server, params)
    elapsed = time.perf_counter() - start
    assert resp.status_code == 400, resp.text
    assert "qubits" in resp.text and "limit" in resp.text
    # refused from the header: the memory bound is the sharp check (a 2**32-qubit circuit cannot be built);
    # the time bound holds on a loaded machine (timings: benchmarks/qpy_header_refusal.py)
    assert elapsed < 5, f"took {elapsed:.3f} s"  # the server is in-process: this includes HTTP
    assert _rss_kib() - rss_before < 50_000
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50_000


@pytest.mark.parametrize(
    "fields",
    [
        {"num_clbits": 3_000_000},
        {"num_instructions": 2**63},
        {"num_registers": 2**31},
        {"name_size": 60_000},
        {"metadata_size": 2**40},
    ],
)
def test_other_declared_sizes_refused(server: Server, fields: dict[str, int]) -> None:
    resp = _post(server, _forge(_params(), **fields))
    assert resp.status_code == 400, resp.text


def test_honest_circuit_still_runs(server: Server) -> None:
    resp = _post(server, _params())
    assert resp.status_code == 200, resp.text


def test_check_refuses_from_the_header_in_process() -> None:
    """Speed is measured, not asserted: ``benchmarks/qpy_header_refusal.py`` (before/after, time and RSS)."""
    from qhost.errors import CircuitTooLarge
    from qhost.protocols.qpy_limits import check_qpy_sizes

    blob = _forge(_params(), num_qubits=2_000_000)["pubs"][0][0]["__value__"]
    raw = zlib.decompress(base64.b64decode(blob))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CircuitTooLarge, match="2,000,000 qubits"):
        check_qpy_sizes(raw)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50_000  # KiB: nothing built


def _writable_qpy_versions() -> range:
    """13 up to the newest QPY version the installed qiskit writes (18 from qiskit 2.6; qhost: >= 2.3)."""
    from qiskit import qpy

    return range(13, qpy.QPY_VERSION + 1)


@pytest.mark.parametrize("version", _writable_qpy_versions())
def test_honest_payloads_of_every_writable_version_pass(version: int) -> None:
    """Registers of every kind (standalone, ancilla, loose bits, aliasing) in each QPY version written."""
    import io

    from qiskit import ClassicalRegister, QuantumRegister, qpy
    from qiskit.circuit import AncillaRegister, Qubit

    from qhost.protocols.qpy_limits import check_qpy_sizes

    named = QuantumCircuit(QuantumRegister(3, "a"), ClassicalRegister(2, "m"), AncillaRegister(2, "anc"))
    named.h(0)
    named.measure([0, 1], [0, 1])
    loose = QuantumCircuit([Qubit(), Qubit()])
    loose.add_register(QuantumRegister(bits=[loose.qubits[1], loose.qubits[0]], name="r"))
    loose.measure_all()
    circuits = [named, loose, _bell()]
    payloads = [circuits] if version >= 16 else [[c] for c in circuits]  # below 16: one per payload
    declared = 0
    for payload in payloads:
        buf = io.BytesIO()
        qpy.dump(payload, buf, version=version)
        declared += check_qpy_sizes(buf.getvalue())
    assert declared == sum(c.num_qubits + c.num_clbits for c in circuits)  # every circuit is read


def test_ndarray_header_claiming_terabytes_is_400(server: Server) -> None:
    """The same class in ``.npy`` blobs: the declared shape is checked against the bytes that follow."""
    import io

    import numpy as np

    params = _params()
    buf = io.BytesIO()
    np.save(buf, np.zeros((0,)))
    forged = buf.getvalue().replace(b"(0,)", b"(999999999999,)")
    params["pubs"][0][1] = {
        "__type__": "ndarray",
        "__value__": base64.b64encode(zlib.compress(forged)).decode(),
    }
    start = time.perf_counter()
    resp = _post(server, params)
    assert resp.status_code == 400, resp.text
    assert "declares shape (999999999999,)" in resp.text
    assert time.perf_counter() - start < 5  # refused from the header, on a loaded machine too


def test_deep_json_in_qpy_metadata_is_400(server: Server) -> None:
    """Deep JSON (class of item 1) hidden in a circuit's metadata, which ``qpy.load`` parses with ``json``."""
    qc = _bell()
    qc.metadata = {"x": 1}
    from qiskit_ibm_runtime import RuntimeEncoder

    body = {"pubs": [[qc, None, 10]], "options": {}, "version": 2, "support_qiskit": True}
    params = json.loads(json.dumps(body, cls=RuntimeEncoder))
    blob = params["pubs"][0][0]
    raw = zlib.decompress(base64.b64decode(blob["__value__"]))
    deep = b"[" * 5000 + b"]" * 5000
    offset = struct.unpack_from("!Q", raw, 20)[0]
    fields = list(V12_HEADER.unpack_from(raw, offset))
    meta_at = offset + V12_HEADER.size + fields[0] + fields[2]
    old_size = fields[5]
    fields[5] = len(deep)
    head = bytearray(raw[:meta_at])
    V12_HEADER.pack_into(head, offset, *fields)
    forged = bytes(head) + deep + raw[meta_at + old_size :]
    blob["__value__"] = base64.b64encode(zlib.compress(forged)).decode()
    resp = _post(server, params)
    assert resp.status_code == 400, resp.text
    assert "nested" in resp.text
