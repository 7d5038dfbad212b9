"""IBM's ``executor`` program (circuit items): safe decoding, refusals and a run through the door."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np
import pytest

from qhost.errors import InputError, InvalidOption, PayloadTooLarge
from qhost.protocols.ibm_executor import decode_executor_params, executor_seed, item_pubs

H = {"IBM-API-Version": "2026-04-15"}


@pytest.fixture
def params(wire: Any) -> dict[str, Any]:
    """Executor params (schema v2.0) for one Bell circuit item, 50 shots, seed 3 in the passthrough."""
    from ibm_quantum_schemas.common import CompressedQpyDataModel, F64CompressedTensorModel
    from ibm_quantum_schemas.executor.version_2_0.models import (
        CircuitItemModel,
        OptionsModel,
        ParamsModel,
        QuantumProgramModel,
    )

    item = CircuitItemModel(circuit_arguments=F64CompressedTensorModel.from_numpy(np.zeros((0,))), shape=[])
    program = QuantumProgramModel(
        shots=50,
        circuits=CompressedQpyDataModel.from_python([wire.bell()]),
        items=[item],
        semantic_role="sampler_v2",
        passthrough_data={"post_processor": {"options": {"simulator": {"seed_simulator": 3}}}},
    )
    return ParamsModel(quantum_program=program, options=OptionsModel()).model_dump(mode="json")


def test_circuit_items_become_sampler_pubs(params: dict[str, Any]) -> None:
    pubs = item_pubs(decode_executor_params(params))
    assert [(p.circuit.num_qubits, p.shots) for p in pubs] == [(2, 50)]


def test_the_clients_seed_is_found_in_the_passthrough(params: dict[str, Any]) -> None:
    assert executor_seed(decode_executor_params(params)) == 3


def test_unknown_item_types_are_refused(params: dict[str, Any]) -> None:
    params["quantum_program"]["items"][0]["item_type"] = "pulse"
    with pytest.raises(InvalidOption, match=r"'pulse' item; valid: \['circuit', 'samplex'\]"):
        decode_executor_params(params)


def test_unknown_schema_version_is_refused(params: dict[str, Any]) -> None:
    params["schema_version"] = "v9.9"
    with pytest.raises(InputError, match=r"Unsupported executor schema_version 'v9.9'; valid: \['v2.0'\]"):
        decode_executor_params(params)


def test_bomb_in_circuit_arguments_is_refused(params: dict[str, Any]) -> None:
    bomb = base64.b64encode(zlib.compress(b"\0" * (8 * 1024 * 1024))).decode()
    params["quantum_program"]["items"][0]["circuit_arguments"]["data"] = bomb
    with pytest.raises(PayloadTooLarge):
        decode_executor_params(params, _limits(1024 * 1024))


def _limits(max_bytes: int) -> Any:
    from qhost.protocols.ibm_runtime import Limits

    return Limits(max_decompressed_bytes=max_bytes)


def test_executor_job_runs_through_the_door(app: Any, client: Any, params: dict[str, Any]) -> None:
    from ibm_quantum_schemas.executor.version_2_0.models import QuantumProgramResultModel

    body = {"program_id": "executor", "backend": "fake_manila@aer", "params": params}
    job_id = client.post("/api/v1/jobs", json=body, headers=H).get_json()["id"]
    assert app.extensions["qhost"].engine.wait(job_id, timeout=120).status == "completed"
    text = client.get(f"/api/v1/jobs/{job_id}/results", headers=H).get_data(True)
    result = QuantumProgramResultModel.model_validate_json(text)
    assert result.data[0].results["meas"].to_numpy().shape == (50, 2)


def test_item_shape_claiming_billions_of_parameter_sets_is_refused(params: dict[str, Any]) -> None:
    """A declared ``shape`` is checked before binding arrays of that size are built (tests/hostile class)."""
    from qhost.errors import CircuitTooLarge

    params["quantum_program"]["items"][0]["shape"] = [100_000, 100_000]
    with pytest.raises(CircuitTooLarge, match=r"10,000,000,000 parameter sets, over the limit of 100,000"):
        item_pubs(decode_executor_params(params))


def test_a_circuit_item_shape_that_does_not_broadcast_is_refused(params: dict[str, Any]) -> None:
    from ibm_quantum_schemas.common import F64CompressedTensorModel

    item = params["quantum_program"]["items"][0]
    item["circuit_arguments"] = F64CompressedTensorModel.from_numpy(np.zeros((3, 0))).model_dump(mode="json")
    item["shape"] = [4]
    with pytest.raises(InputError, match="does not extend"):
        decode_executor_params(params)
