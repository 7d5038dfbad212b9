"""IBM params: circuits are decoded only in pub positions, after the pubs are counted, within a total.

Against the suite's real server (``POST /api/v1/jobs`` on loopback). Each crafted request is refused with
a 400 before its circuits are loaded, and the server's process tree does not grow by more than 50 MiB while
it answers. (On the code before these checks, a circuit in ``options`` declaring 100,000 qubits cost
+175 MB, and ~1 MB of such params asked for more than 100 GB: never send many of them to such a server.)
"""

from __future__ import annotations

import base64
import copy
import io
import json
import struct
import zlib
from typing import Any

import pytest
from qiskit import QuantumCircuit, qpy

from .conftest import Server
from .memory_probe import PeakGrowth

HEADER_V12 = struct.Struct("!H1cHIIQIQI")
NAMES = ["name_size", "kind", "phase_size", "num_qubits", "num_clbits", "metadata_size",
         "num_registers", "num_instructions", "num_vars"]  # fmt: skip
MIB = 1 << 20


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)  # ISA for fake_manila: x, cx, measure
    qc.x(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def _node(raw: bytes) -> dict[str, Any]:
    return {"__type__": "QuantumCircuit", "__value__": base64.b64encode(zlib.compress(raw)).decode()}


def _qpy(circuits: list[QuantumCircuit], version: int = 17) -> bytearray:
    buf = io.BytesIO()
    qpy.dump(circuits, buf, version=version)
    return bytearray(buf.getvalue())


def _forge(raw: bytearray, offset: int, **fields: int) -> bytearray:
    values = dict(zip(NAMES, HEADER_V12.unpack_from(raw, offset), strict=True))
    values.update(fields)
    HEADER_V12.pack_into(raw, offset, *values.values())
    return raw


def _forged(version: int = 17, **fields: int) -> dict[str, Any]:
    """A Bell circuit whose header declares ``fields`` (``num_qubits=100_000`` …)."""
    raw = _qpy([_bell()], version)
    # v10+ file header (19 bytes) and type key, then (v16+) the table of circuit offsets
    offset = struct.unpack_from("!Q", raw, 20)[0] if version >= 16 else 20
    return _node(bytes(_forge(raw, offset, **fields)))


def _params(pubs: list[Any], **extra: Any) -> dict[str, Any]:
    return {"pubs": pubs, "options": {}, "version": 2, "support_qiskit": True, **extra}


def _post(server: Server, params: dict[str, Any], backend: str = "fake_manila@aer") -> Any:
    body = {"program_id": "sampler", "backend": backend, "params": params}
    return server.post("/api/v1/jobs", json=body, headers=server.ibm_headers())


def test_honest_pubs_still_pass(server: Server) -> None:
    resp = _post(server, _params([[_node(bytes(_qpy([_bell()]))), None, 10]]))
    assert resp.status_code == 200, resp.text


def test_a_megabyte_of_circuits_outside_the_pubs_is_refused_small(server: Server) -> None:
    """~1 MB of params: circuits in ``options`` (three declaring 100,000 qubits and clbits), none in a pub.

    On the code before this check the request was accepted (200) after decoding them all (+52 MiB).
    """
    bell = _node(bytes(_qpy([_bell()])))
    pad = [copy.deepcopy(bell) for _ in range(1_000_000 // len(bell["__value__"]))]
    huge = [_forged(13, num_qubits=100_000, num_clbits=100_000) for _ in range(3)]
    params = _params([[bell, None, 10]], options={"huge": huge, "pad": pad})
    assert len(json.dumps(params)) > 900_000
    _post(server, _params([[bell, None, 10]]))  # the path is warm
    with PeakGrowth() as probe:
        resp = _post(server, params)
    assert resp.status_code == 400, resp.text
    assert "accepted only as a pub's circuit" in resp.text
    assert probe.growth < 50 * MIB, f"the server's process tree grew by {probe.growth / MIB:.0f} MiB"


def test_pubs_are_counted_before_any_is_decoded(server: Server) -> None:
    broken = {"__type__": "QuantumCircuit", "__value__": "bm90IHFweQ=="}  # would fail to decode
    resp = _post(server, _params([[broken, None, 10]] * 1001))
    assert resp.status_code == 400, resp.text
    assert "1001 pubs in one job; the limit is 1000" in resp.text


def test_width_is_checked_against_the_backend_before_loading(server: Server) -> None:
    resp = _post(server, _params([[_forged(num_qubits=6), None, 10]]))
    assert resp.status_code == 400, resp.text
    assert "declares 6 qubits but backend fake_manila@aer has 5 (the limit per circuit" in resp.text


def test_the_request_total_of_declared_bits_is_capped(server: Server) -> None:
    """30 pubs of 5 qubits and 4,000 clbits each: each fits the device, together they exceed 100,000."""
    pubs = [[_forged(num_qubits=5, num_clbits=4_000), None, 10] for _ in range(30)]
    with PeakGrowth() as probe:
        resp = _post(server, _params(pubs))
    assert resp.status_code == 400, resp.text
    assert "more than 100,000 qubits and clbits in all" in resp.text
    assert probe.growth < 50 * MIB


@pytest.mark.parametrize("version", [13, 15])
def test_a_second_circuit_below_qpy16_is_not_loaded(server: Server, version: int) -> None:
    """Below QPY 16 a payload has no circuit table: the second circuit's header declares 2,000,000 qubits."""
    first = _qpy([_bell()], version)
    raw = _qpy([_bell(), _bell()], version)
    _forge(raw, len(first), num_qubits=2_000_000)  # the second circuit starts where a lone first one ends
    with PeakGrowth() as probe:
        resp = _post(server, _params([[_node(bytes(raw)), None, 10]]))
    assert resp.status_code == 400, resp.text
    assert "QPY payload declares 2 circuits; the limit is 1" in resp.text  # a pub holds one circuit
    assert probe.growth < 50 * MIB


@pytest.mark.parametrize("version", [13, 15])
def test_several_circuits_below_qpy16_are_refused_where_several_are_allowed(version: int) -> None:
    """The executor program's QPY holds every circuit: below 16, the second one's header is out of reach."""
    from qhost.errors import InvalidCircuit
    from qhost.protocols.qpy_limits import check_qpy_sizes

    with pytest.raises(InvalidCircuit, match="below version 16 a payload may hold one circuit only"):
        check_qpy_sizes(bytes(_qpy([_bell(), _bell()], version)))
    assert check_qpy_sizes(bytes(_qpy([_bell(), _bell()], 16))) == 2 * (2 + 2)
