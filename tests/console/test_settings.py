"""The console's settings: environment names, CLI flags, conversions."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qhost.cli.main import main
from qhost.config import Settings
from qhost.errors import ConfigurationError


def test_console_settings_come_from_the_environment() -> None:
    env = {"QHOST_ADMIN_KEYS": "a, b", "QHOST_METRICS_ENABLED": "off", "QHOST_METRICS_TOKEN": "t",
           "QHOST_CONSOLE_SECRET": "s"}  # fmt: skip
    settings = Settings.from_env(env)
    assert settings.admin_keys == ("a", "b") and settings.metrics_enabled is False
    assert settings.metrics_token == "t" and settings.console_secret == "s"
    assert settings.console_auth_enabled and settings.auth_enabled  # admin keys are keys on every door


def test_a_bad_switch_value_names_the_choices() -> None:
    with pytest.raises(ConfigurationError, match="metrics_enabled.*'true'"):
        Settings.from_env({"QHOST_METRICS_ENABLED": "maybe"})


def test_serve_has_the_console_and_metrics_flags() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for flag in ("--admin-key", "--metrics-token", "--no-metrics", "QHOST_ADMIN_KEYS", "QHOST_METRICS_TOKEN"):
        assert flag in result.output
