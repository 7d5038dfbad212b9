"""Foreign exceptions are all mapped in one place; the counts program's JSON contract."""

from __future__ import annotations

import json

import pytest
from qhost_testkit import assert_split, bell_split

from qhost.errors import ExecutorError, InvalidCircuit, InvalidOption, QhostError, UnknownBackend
from qhost.executors.errors import FOREIGN_ERRORS, foreign_error_types, map_executor_errors
from qhost.programs.counts import run


def test_every_listed_foreign_error_type_is_importable():
    assert len(foreign_error_types()) == len(FOREIGN_ERRORS)


@pytest.mark.parametrize("foreign,mapped", foreign_error_types(), ids=lambda v: getattr(v, "__name__", ""))
def test_each_foreign_error_becomes_its_qhost_error(foreign, mapped):
    with pytest.raises(mapped) as info, map_executor_errors():
        raise foreign("boom")
    assert isinstance(info.value.__cause__, foreign) and "boom" in info.value.message


@pytest.mark.parametrize("exc", [ValueError("v"), KeyError("k"), RuntimeError("r"), TypeError("t")])
def test_any_other_exception_becomes_executor_error_naming_its_type(exc):
    with pytest.raises(ExecutorError, match=type(exc).__name__), map_executor_errors():
        raise exc


def test_qhost_errors_pass_through_unchanged():
    original = InvalidOption("mine")
    with pytest.raises(InvalidOption) as info, map_executor_errors():
        raise original
    assert info.value is original


def test_aer_invalid_instruction_error_becomes_invalid_circuit():
    from qiskit_aer import AerError

    with pytest.raises(InvalidCircuit, match="cannot run this circuit"), map_executor_errors():
        raise AerError("circuits have invalid instructions {gates}")


def test_counts_program_returns_counts_and_metadata(bell_qasm):
    out = json.loads(run("ideal@aer", json.dumps({"qasm": bell_qasm, "shots": 100, "seed": 1})))
    assert sum(out["counts"].values()) == 100
    assert_split(out["counts"], bell_split())
    meta = out["metadata"]
    assert meta["noise"] is False and meta["shots"] == 100 and meta["method"] == "stabilizer"
    assert meta["time_taken"] >= 0


def test_counts_program_defaults_backend_and_shots(bell_qasm):
    out = json.loads(run(None, json.dumps({"qasm": bell_qasm})))
    assert out["metadata"]["backend"] == "ideal@aer" and out["metadata"]["shots"] == 1000


def test_counts_program_reports_noise_on_fake_device(ghz5_qasm):
    out = json.loads(run("fake_manila@aer", json.dumps({"qasm": ghz5_qasm, "shots": 100, "seed": 2})))
    assert out["metadata"]["noise"] is True


@pytest.mark.parametrize(
    "inputs,message",
    [
        ("not json", "must be a JSON object"),
        ("[1]", "JSON object"),
        ('{"qasm": "x", "shot": 1}', "Unknown counts input 'shot'"),
        ('{"qasm": "x", "seed": -1}', "seed must be"),
    ],
)
def test_counts_program_rejects_bad_inputs(inputs, message):
    with pytest.raises(InvalidOption, match=message):
        run("ideal@aer", inputs)


def test_counts_program_unknown_backend(bell_qasm):
    with pytest.raises(UnknownBackend, match="qhost backends"):
        run("fake_atlantis@aer", json.dumps({"qasm": bell_qasm}))


def test_counts_program_errors_are_qhost_errors():
    with pytest.raises(QhostError):
        run("ideal@aer", json.dumps({"qasm": "OPENQASM 2.0; qreg q[1]; nope q[0];"}))


def test_warm_up_builds_devices_and_skips_bad_names(catalog):
    from qhost.programs.runner import warm_up

    warm_up(["fake_lima@aer", "nonsense", "fake_nowhere@aer"])
    assert catalog.device("fake_lima")._builder is not None


BAD_INPUTS = [
    ("ideal@aer", "garbage text", 10),
    ("ideal@aer", "OPENQASM 3.0; qubit q; foo q;", 10),
    ("ideal@aer", "OPENQASM 3.0; qubit[2] q; h q[5];", 10),
    ("ideal@aer", "OPENQASM 2.0; qreg q[1]; h q[0];", 10),
    ("ideal@aer", 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q[3] -> c[0];', 10),
    ("fake_manila@aer", "OPENQASM 2.0;\nopaque magic q;\nqreg q[1];\nmagic q[0];", 10),
    ("fake_manila@aer", 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[9];\nh q[8];', 10),
    ("ideal@aer", 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];', -1),
    ("nowhere@aer", "x", 10),
]


@pytest.mark.parametrize("backend,qasm,shots", BAD_INPUTS)
def test_bad_user_input_is_a_classified_user_error_never_a_foreign_one(backend, qasm, shots):
    from qhost.programs.runner import run_qasm

    with pytest.raises(QhostError) as info:
        run_qasm(backend, qasm, shots)
    assert info.value.status < 500, f"{type(info.value).__name__}: {info.value.message}"
