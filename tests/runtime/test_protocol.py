"""Pure translation of the IBM wire format: versions, request shape, safe decoding, pubs, records."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np
import pytest

from qhost.errors import CircuitTooLarge, InputError, InvalidCircuit, InvalidOption, PayloadTooLarge
from qhost.protocols import ibm_runtime as ibm


def test_api_version_of_the_stock_client_is_accepted() -> None:
    assert ibm.check_api_version("2026-04-15") == "2026-04-15"


def test_missing_api_version_means_newest() -> None:
    assert ibm.check_api_version(None) == ibm.API_VERSION_MAX


@pytest.mark.parametrize("version", ["2019-01-01", "2099-01-01", "latest"])
def test_unsupported_api_version_is_refused_naming_the_range(version: str) -> None:
    with pytest.raises(
        InputError, match=f"Unsupported IBM-API-Version '{version}'; this server supports 2024"
    ):
        ibm.check_api_version(version)


def test_unknown_program_is_refused_with_the_valid_ones() -> None:
    valid = r"\['sampler', 'estimator', 'executor', 'noise-learner'\]"
    with pytest.raises(InputError, match=rf"Unknown program_id 'qaoa'; valid: {valid}"):
        ibm.parse_job_request({"program_id": "qaoa", "backend": "x", "params": {"pubs": []}})


def test_job_request_keeps_session_and_tags(wire: Any) -> None:
    req = ibm.parse_job_request(
        {
            "program_id": "sampler",
            "backend": "fake_manila@aer",
            "params": wire.sampler_params(),
            "session_id": "s1",
            "tags": ["a"],
        }
    )
    assert (req.session_id, req.tags) == ("s1", ("a",))


def test_decode_params_restores_circuits_and_arrays(wire: Any) -> None:
    decoded = ibm.decode_params(wire.sampler_params(shots=5))
    circuit, values, shots = decoded["pubs"][0]
    assert (circuit.num_qubits, values.shape, shots) == (2, (0,), 5)


def test_unexpected_type_is_refused_before_decoding(wire: Any) -> None:
    params = wire.sampler_params()
    params["options"]["x"] = {
        "__type__": "settings",
        "__module__": "os",
        "__class__": "system",
        "__value__": {},
    }
    with pytest.raises(InputError, match="Unsupported __type__ 'settings' in params; allowed:"):
        ibm.decode_params(params)


def test_zlib_bomb_is_refused_without_inflating_it(wire: Any) -> None:
    bomb = base64.b64encode(zlib.compress(b"\0" * (50 * 1024 * 1024))).decode()
    params = wire.sampler_params()
    params["pubs"][0][0]["__value__"] = bomb
    with pytest.raises(PayloadTooLarge, match="inflates beyond the limit of 1048576 bytes"):
        ibm.decode_params(params, ibm.Limits(max_decompressed_bytes=1024 * 1024))


def test_broken_qpy_is_an_invalid_circuit(wire: Any) -> None:
    params = wire.sampler_params()
    params["pubs"][0][0]["__value__"] = base64.b64encode(zlib.compress(b"QISKIT\x0dgarbage")).decode()
    with pytest.raises(InvalidCircuit, match="Broken QPY payload"):
        ibm.decode_params(params)


def test_qpy_newer_than_the_server_names_both_versions(wire: Any) -> None:
    params = wire.sampler_params()
    params["pubs"][0][0]["__value__"] = base64.b64encode(zlib.compress(b"QISKIT\xfe" + b"\0" * 32)).decode()
    with pytest.raises(
        InvalidCircuit, match=r"QPY version 254 is newer .* qiskit 2\.\d+\.\d+ reads QPY up to"
    ):
        ibm.decode_params(params)


def test_not_base64_is_an_input_error(wire: Any) -> None:
    params = wire.sampler_params()
    params["pubs"][0][1]["__value__"] = "***"
    with pytest.raises(InputError, match="Broken ndarray payload: not valid base64"):
        ibm.decode_params(params)


def test_sampler_pubs_use_default_shots_when_the_pub_has_none(wire: Any) -> None:
    pubs = ibm.coerce_pubs("sampler", ibm.decode_params(wire.sampler_params(default_shots=123)))
    assert pubs[0].shots == 123


def test_per_pub_shots_win_over_default_shots(wire: Any) -> None:
    pubs = ibm.coerce_pubs("sampler", ibm.decode_params(wire.sampler_params(shots=7, default_shots=123)))
    assert pubs[0].shots == 7


def test_sampler_default_is_ibms_4096(wire: Any) -> None:
    assert ibm.coerce_pubs("sampler", ibm.decode_params(wire.sampler_params()))[0].shots == 4096


def test_negative_shots_are_refused(wire: Any) -> None:
    with pytest.raises(InvalidOption, match="shots must be positive"):
        ibm.coerce_pubs("sampler", ibm.decode_params(wire.sampler_params(shots=-5)))


def test_shots_over_the_limit_are_refused(wire: Any) -> None:
    with pytest.raises(InvalidOption, match="pub 0 asks for 99 shots; the limit is 10"):
        ibm.coerce_pubs("sampler", ibm.decode_params(wire.sampler_params(shots=99)), ibm.Limits(max_shots=10))


def test_estimator_precision_defaults_and_per_pub(wire: Any) -> None:
    qc = wire.bell(measure=False)
    params = wire.params_json(
        [[qc, {"ZZ": 1.0}, np.zeros((0,)), None], [qc, {"XX": 1.0}, np.zeros((0,)), 0.1]],
        {"default_precision": 0.05},
    )
    pubs = ibm.coerce_pubs("estimator", ibm.decode_params(params))
    assert [p.precision for p in pubs] == [0.05, 0.1]


def test_circuit_wider_than_the_device_is_too_large(wire: Any) -> None:
    pubs = ibm.coerce_pubs("sampler", ibm.decode_params(wire.sampler_params()))
    with pytest.raises(CircuitTooLarge, match="circuit has 2 qubits but backend tiny@aer has 1"):
        ibm.validate_pubs(pubs, "tiny@aer", 1, None)


def test_non_isa_circuit_is_refused_with_the_fix(wire: Any) -> None:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    qc = QuantumCircuit_h()
    pubs = ibm.coerce_pubs("sampler", ibm.decode_params(wire.params_json([[qc, np.zeros((0,)), None]])))
    with pytest.raises(
        InvalidCircuit, match="not ISA for backend fake_manila@aer.*generate_preset_pass_manager"
    ):
        ibm.validate_pubs(pubs, "fake_manila@aer", 5, FakeManilaV2().target)


def QuantumCircuit_h():  # noqa: N802 - a tiny builder for the test above
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1)
    qc.h(0)
    qc.measure_all()
    return qc


def test_simulator_unsupported_options_are_listed_as_not_applied(wire: Any) -> None:
    decoded = ibm.decode_params(
        wire.sampler_params(twirling={"enable_gates": True}, dynamical_decoupling={"enable": True})
    )
    assert ibm.not_applied_options(decoded) == ["dynamical_decoupling", "twirling"]


def test_configuration_is_served_as_hardware_under_the_virtual_name() -> None:
    conf = ibm.configuration_json("fake_manila@aer", {"backend_name": "fake_manila", "simulator": True})
    assert (conf["backend_name"], conf["simulator"], "online_date" in conf) == (
        "fake_manila@aer",
        False,
        True,
    )


def test_error_json_is_ibm_shaped() -> None:
    body = ibm.error_json(InvalidOption("bad shots"))
    assert body["errors"][0] == {"code": "invalid_option", "message": "bad shots", "more_info": ""}


def test_calibrate_is_refused_naming_what_to_use() -> None:
    with pytest.raises(InputError, match="Calibrator is not emulated.*executor Estimator"):
        ibm.parse_job_request({"program_id": "calibrate", "backend": "x", "params": {}})
