"""Settings layering: defaults, QRS_* then QHOST_* environment, then explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from qhost.config import DEFAULT_PORT, Settings
from qhost.errors import ConfigurationError


def test_defaults_bind_loopback() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.qrisp_backend) == ("127.0.0.1", DEFAULT_PORT, "ideal@aer")


def test_qhost_variables_set_fields() -> None:
    settings = Settings.from_env({"QHOST_PORT": "9100", "QHOST_API_KEYS": "a, b", "QHOST_DATA_DIR": "/x"})
    assert (settings.port, settings.api_keys, settings.data_dir) == (9100, ("a", "b"), Path("/x"))


def test_seed_variables_are_accepted() -> None:
    settings = Settings.from_env({"QRS_HOST": "0.0.0.0", "QRS_PORT": "9200", "QRS_EXECUTOR": "aer"})
    assert (settings.host, settings.port, settings.executors) == ("0.0.0.0", 9200, ("aer",))


def test_qhost_variable_wins_over_seed_variable() -> None:
    assert Settings.from_env({"QRS_PORT": "1", "QHOST_PORT": "2"}).port == 2


def test_overrides_win_over_environment() -> None:
    assert Settings.from_env({"QHOST_PORT": "2"}, port=3).port == 3


def test_bad_number_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="Invalid value 'x' for setting 'port'"):
        Settings.from_env({"QHOST_PORT": "x"})


@pytest.mark.parametrize("name", ["http_threads", "thrift_threads", "thrift_max_connections"])
def test_thread_and_connection_counts_must_be_positive(name: str) -> None:
    with pytest.raises(
        ConfigurationError, match=f"Invalid value '0' for setting '{name}': must be at least 1"
    ):
        Settings.from_env({f"QHOST_{name.upper()}": "0"})


def test_unknown_override_lists_valid_settings() -> None:
    with pytest.raises(ConfigurationError, match="Unknown setting 'colour'; valid: .*'port'"):
        Settings().replace(colour="red")


def test_store_url_is_sqlite_under_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).store_url == f"sqlite:///{tmp_path / 'qhost.db'}"


def test_create_app_layers_test_config_over_settings(tmp_path: Path) -> None:
    from qhost.engine import JobEngine
    from qhost.server.app import create_app
    from qhost.store import SqlStore

    settings = Settings(data_dir=tmp_path, max_shots=100)
    engine = JobEngine(SqlStore(settings.store_url), process_workers=1, worker_mode="thread")
    app = create_app(
        settings, engine=engine, test_config={"MAX_SHOTS": 5, "max_body_bytes": 1000, "TESTING": 1}
    )
    try:
        ctx = app.extensions["qhost"]
        assert (ctx.settings.max_shots, app.config["MAX_CONTENT_LENGTH"], app.testing) == (5, 1000, True)
    finally:
        app.extensions["qhost"].close()


def test_bad_variable_is_named_with_what_the_setting_accepts() -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({"QRS_PORT": "1", "QHOST_WORKER_MODE": "fork"})
    assert err.value.message == (
        "Invalid value 'fork' for setting 'worker_mode': valid: 'process', 'thread' (from QHOST_WORKER_MODE)"
    )


def test_an_empty_variable_counts_as_unset() -> None:
    assert Settings.from_env({"QHOST_PORT": "", "QRS_PORT": "9300"}).port == 9300


def test_plain_settings_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QHOST_PORT", "9400")
    assert (Settings().port, Settings.from_env().port) == (DEFAULT_PORT, 9400)


def test_from_environment_follows_the_variable_and_its_seed_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    from qhost.config import from_environment

    monkeypatch.delenv("QHOST_GPU_DEVICE", raising=False)
    monkeypatch.setenv("QRS_GPU_DEVICE", "3")
    assert from_environment("gpu_device") == 3
    monkeypatch.setenv("QHOST_GPU_DEVICE", "1")
    assert from_environment("gpu_device") == 1
    monkeypatch.setenv("QHOST_MAX_SHOTS", "x")
    with pytest.raises(ConfigurationError, match=r"setting 'max_shots'.*\(from QHOST_MAX_SHOTS\)"):
        from_environment("max_shots")
