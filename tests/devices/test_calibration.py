"""The calibration read from a fake device's target, its JSON round trip, and its disk cache: a hit
skips the target, a version change rebuilds, concurrent writers leave one whole file."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from qhost.devices import Device, fake_device_classes
from qhost.devices import calibration as cal_mod
from qhost.devices.calibration import Calibration, load_calibration, set_cache_dir


@pytest.fixture
def cache(tmp_path: Path):  # type: ignore[no-untyped-def]
    set_cache_dir(tmp_path)
    yield tmp_path
    set_cache_dir(None)


def _manila() -> Calibration:
    backend = fake_device_classes()["fake_manila"]()
    return Calibration.from_target("fake_manila", backend.target, backend.operation_names, backend.dt)


def test_calibration_reads_the_target() -> None:
    cal = _manila()
    assert cal.num_qubits == 5 and cal.dt == pytest.approx(2.2222e-10, rel=1e-3)
    assert set(cal.readout) == set(range(5)) and cal.qubits is not None and len(cal.qubits) == 5
    cx = cal.instruction("cx")
    assert cx is not None and cx.is_gate and (0, 1) in cx.props
    reset = cal.instruction("reset")
    assert reset is not None and not reset.is_gate
    assert cal.instruction("measure") is None and cal.instruction("nonsense") is None


def test_json_round_trip_is_exact() -> None:
    cal = _manila()
    assert Calibration.from_json(json.loads(json.dumps(cal.to_json()))) == cal


def test_disk_cache_hit_skips_the_build(cache: Path) -> None:
    calls = []

    def build() -> Calibration:
        calls.append(1)
        return _manila()

    first = load_calibration("fake_manila", build)
    second = load_calibration("fake_manila", build)
    assert len(calls) == 1 and first == second
    stored = json.loads((cache / "calibration" / "fake_manila.json").read_text())
    assert stored["versions"] == cal_mod.library_versions()


def test_version_change_rebuilds(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def build() -> Calibration:
        calls.append(1)
        return _manila()

    load_calibration("fake_manila", build)
    newer = {**cal_mod.library_versions(), "qiskit-ibm-runtime": "99.0.0"}
    monkeypatch.setattr(cal_mod, "library_versions", lambda: newer)
    load_calibration("fake_manila", build)
    assert len(calls) == 2
    stored = json.loads((cache / "calibration" / "fake_manila.json").read_text())
    assert stored["versions"]["qiskit-ibm-runtime"] == "99.0.0"
    load_calibration("fake_manila", build)
    assert len(calls) == 2


def test_unreadable_cache_is_rebuilt(cache: Path) -> None:
    path = cache / "calibration" / "fake_manila.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_calibration("fake_manila", _manila) == _manila()
    assert json.loads(path.read_text())["calibration"]["device"] == "fake_manila"


def test_device_uses_the_disk_cache_without_building_its_backend(cache: Path) -> None:
    cls = fake_device_classes()["fake_manila"]
    Device("fake_manila", 5, cls).calibration()  # writes the cache
    fresh = Device("fake_manila", 5, cls)
    assert fresh.calibration() == _manila()
    assert fresh._backend is None  # the target was not needed
    assert fresh.noise_model([0, 1], kraus=True) is not None and fresh._backend is None


def _writer(directory: str, rounds: int) -> None:
    set_cache_dir(directory)
    cal = _manila()
    for _ in range(rounds):
        cal_mod.write_json_atomic(
            Path(directory) / "calibration" / "fake_manila.json",
            {"versions": cal_mod.library_versions(), "calibration": cal.to_json()},
        )
        assert load_calibration("fake_manila", _manila) == cal


@pytest.mark.slow
def test_concurrent_writers_never_leave_a_partial_file(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), 40)) for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    files = sorted(p.name for p in (tmp_path / "calibration").iterdir())
    assert files == ["fake_manila.json"]  # no temporary file left behind
    data = json.loads((tmp_path / "calibration" / "fake_manila.json").read_text())
    assert Calibration.from_json(data["calibration"]) == _manila()


@pytest.mark.parametrize("device", ["fake_manila", "fake_sherbrooke", "fake_fez"])
def test_isa_target_answers_like_the_target(device: str) -> None:
    from itertools import product

    from qhost.devices.calibration import IsaTarget

    backend = fake_device_classes()[device]()
    target = backend.target
    cal = Calibration.from_target(device, target, backend.operation_names, backend.dt)
    isa = IsaTarget(Calibration.from_json(json.loads(json.dumps(cal.to_json()))))
    assert isa.num_qubits == target.num_qubits
    n = target.num_qubits
    qubits = [0, 1, 2, 3, n // 2, n - 1]  # in range: wider circuits are refused before the ISA check
    qargs = [(q,) for q in qubits] + list(product(qubits, repeat=2)) + [(0, 1, 2), None]
    for name in [*target.operation_names, "h", "nonsense"]:
        own = list(target.qargs_for_operation_name(name) or []) if name in target else []
        for qs in [*qargs, *own]:
            assert isa.instruction_supported(name, qs) == target.instruction_supported(name, qs), (name, qs)
