"""Catalog: every fake device × every available executor, names, errors, lazy devices."""

from __future__ import annotations

import inspect

import pytest
import qiskit_ibm_runtime.fake_provider as fake_provider
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

from qhost.catalog import Catalog, noise_free_refusal, parse_name
from qhost.errors import ExecutorUnavailable, InvalidOption, UnknownBackend
from qhost.executors import EXECUTORS, executor_availability, register_executor


def runtime_fake_names() -> set[str]:
    return {
        cls.backend_name
        for cls in vars(fake_provider).values()
        if inspect.isclass(cls) and issubclass(cls, FakeBackendV2) and cls is not FakeBackendV2
    }


def test_entries_are_every_fake_device_times_every_executor_plus_ideal(catalog):
    expected = {f"{d}@{e}" for d in runtime_fake_names() | {"ideal"} for e in EXECUTORS}
    assert {entry.name for entry in catalog.entries()} == expected


def test_available_entries_match_executor_availability(catalog):
    for entry in catalog.entries():
        refusal = noise_free_refusal(entry.device, entry.executor)
        assert entry.available == (executor_availability(entry.executor).ok and not refusal)
        assert entry.available or entry.reason


@pytest.mark.parametrize("executor", ["ddsim", "qulacs", "stim"])
def test_a_noise_free_executor_on_a_noisy_device_is_listed_unavailable_and_refused(executor):
    pytest.importorskip({"ddsim": "mqt.ddsim"}.get(executor, executor), reason="pip install -e '.[sims]'")
    by_name = {entry.name: entry for entry in Catalog(executors=[executor, "aer"]).entries()}
    assert by_name[f"ideal@{executor}"].available
    noisy = by_name[f"fake_manila@{executor}"]
    assert not noisy.available
    assert f"'ideal@{executor}'" in noisy.reason and "'fake_manila@aer'" in noisy.reason
    with pytest.raises(InvalidOption, match=f"'fake_manila@{executor}' is unavailable: .*noise-free"):
        Catalog(executors=[executor]).resolve(f"fake_manila@{executor}")


def test_entries_include_ideal_aer_and_manila_qubits(catalog):
    by_name = {entry.name: entry for entry in catalog.entries()}
    assert by_name["ideal@aer"].available
    assert by_name["fake_manila@aer"].num_qubits == 5
    assert by_name["fake_sherbrooke@aer"].num_qubits == 127


def test_listing_does_not_build_fake_backends(catalog, monkeypatch):
    import qhost.catalog

    monkeypatch.setattr(qhost.catalog, "_devices", {})  # cached per process: other tests build devices
    catalog.entries()
    assert catalog.device("fake_kyoto")._backend is None


def test_unknown_backend_says_how_to_list(catalog):
    with pytest.raises(
        UnknownBackend, match=r"Unknown backend 'fake_nowhere@aer'.*qhost backends.*GET /api/v1/backends"
    ):
        catalog.resolve("fake_nowhere@aer")


def test_unknown_device_suggests_close_name(catalog):
    with pytest.raises(UnknownBackend, match="Did you mean fake_manila"):
        catalog.resolve("fake_manilla@aer")


def test_unknown_executor_in_name(catalog):
    with pytest.raises(UnknownBackend, match=r"executor 'qpu' is not served here"):
        catalog.resolve("fake_manila@qpu")


def test_parse_name_splits_device_and_executor():
    assert parse_name("fake_manila@aer") == ("fake_manila", "aer")


@pytest.mark.parametrize("name", ["fake_manila", "@aer", "fake_manila@", "a@b@c"])
def test_parse_name_rejects_malformed_names(name):
    with pytest.raises(UnknownBackend, match=r"not of the form '<device>@<executor>'.*qhost backends"):
        parse_name(name)


@pytest.mark.parametrize("name", ["", "  ", None, 42])
def test_parse_name_rejects_non_strings(name):
    with pytest.raises(InvalidOption, match="non-empty string"):
        parse_name(name)


def test_catalog_rejects_unknown_executor():
    with pytest.raises(InvalidOption, match=r"Unknown executor 'nope'; valid: \["):
        Catalog(executors=["aer", "nope"])


def test_missing_executor_module_is_listed_unavailable_with_reason():
    register_executor("ghost", "qhost_no_such_module:GhostExecutor")
    try:
        entries = [e for e in Catalog(executors=["ghost"]).entries() if e.device == "fake_manila"]
        assert not entries[0].available and "qhost_no_such_module" in entries[0].reason
        with pytest.raises(ExecutorUnavailable, match="'fake_manila@ghost' is unavailable"):
            Catalog(executors=["ghost"]).resolve("fake_manila@ghost")
    finally:
        EXECUTORS.pop("ghost")


def test_device_conf_and_props_json(manila):
    assert manila.conf_json()["n_qubits"] == 5
    assert len(manila.props_json()["qubits"]) == 5


def test_ideal_device_has_no_backend_or_noise(ideal):
    assert ideal.backend() is None and ideal.noise_model() is None and ideal.props_json() is None
    assert ideal.conf_json()["n_qubits"] == ideal.num_qubits > 20


def test_trimmed_noise_model_keeps_only_errors_on_given_qubits(manila):
    trimmed = manila.noise_model([0, 1])
    qubits = {q for table in trimmed._local_quantum_errors.values() for qs in table for q in qs}
    assert qubits == {0, 1} and set(trimmed._local_readout_errors) == {(0,), (1,)}
    assert manila.noise_model([1, 0]) is trimmed and manila.noise_model() is manila.noise_model()


def test_importing_registry_and_catalog_loads_no_simulator():
    import subprocess
    import sys

    code = (
        "import sys, qhost.executors, qhost.catalog; "
        "heavy = [m for m in ('qiskit_aer', 'cupy', 'cuquantum', 'qiskit_ibm_runtime') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_kraus_noise_model_is_cached_per_qubit_set(manila):
    assert manila.noise_model([0, 1], kraus=True) is manila.noise_model([1, 0], kraus=True)
    assert manila.noise_model([0, 1], kraus=True) is not manila.noise_model([0, 1])
