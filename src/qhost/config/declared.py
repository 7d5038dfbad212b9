"""How a setting is declared and read: ``setting(...)`` (default, meaning, variables, flags), the environment
source pydantic-settings layers under explicit values, and the ``ConfigurationError`` a bad value becomes.
"""

from __future__ import annotations

import contextlib
import os
import typing
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from qhost.config.defaults import ENV_PREFIX
from qhost.errors import ConfigurationError

__all__ = [
    "EnvironmentSource",
    "Origin",
    "configuration_error",
    "env_names",
    "flag_of",
    "repeatable",
    "setting",
    "shown_default",
]


def setting(
    default: Any,
    description: str,
    *,
    flag: str | None = None,
    worker_flag: str | None = None,
    legacy: str | None = None,
    env: str | None = None,
    shown: str | None = None,
    comma_flag: bool = False,
) -> Any:
    """Declare one setting.

    Args:
        default: its value when nothing sets it.
        description: its meaning (the text of ``interface_docs/configuration.md`` and of the flag's help).
        flag: its ``qhost serve`` flag (``"--metrics/--no-metrics"`` for an on/off pair).
        worker_flag: its ``qhost worker`` flag.
        legacy: the seed project's variable for it (``QRS_PORT``); ``QHOST_<FIELD>`` wins over it.
        env: the one variable it is read from instead of ``QHOST_<FIELD>`` (a standard one such as
            ``XDG_CACHE_HOME``).
        shown: how the documentation states a default that is not a plain value (``"min(4, CPUs)"``).
        comma_flag: a list setting whose flag takes one comma-separated value instead of repeating.
    """
    extra = {"flag": flag, "worker_flag": worker_flag, "legacy": legacy, "env": env, "shown": shown}
    if comma_flag:
        extra["comma_flag"] = "yes"
    return FieldInfo(default=default, description=description, json_schema_extra=_present(extra))


def _present(extra: dict[str, str | None]) -> dict[str, Any]:
    return {key: value for key, value in extra.items() if value is not None}


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def env_names(name: str, info: FieldInfo) -> tuple[str, ...]:
    """The variables that set field ``name``, the winning one first (``QHOST_PORT``, ``QRS_PORT``)."""
    extra = _extra(info)
    if extra.get("env"):
        return (str(extra["env"]),)
    own = ENV_PREFIX + name.upper()
    return (own, str(extra["legacy"])) if extra.get("legacy") else (own,)


def flag_of(info: FieldInfo, command: str) -> str | None:
    """The flag of ``command`` (``"serve"`` or ``"worker"``) that sets this field, if any."""
    return _extra(info).get("flag" if command == "serve" else "worker_flag")  # type: ignore[no-any-return]


def repeatable(info: FieldInfo) -> bool:
    """Whether the setting's flag may be given several times (a list setting without ``comma_flag``)."""
    options = [info.annotation, *typing.get_args(info.annotation)]
    return any(typing.get_origin(a) is tuple for a in options) and not _extra(info).get("comma_flag")


def shown_default(info: FieldInfo) -> str:
    """The default as the documentation states it: ``shown`` where declared, else the value in backticks."""
    extra = _extra(info)
    if extra.get("shown"):
        return str(extra["shown"])
    value = info.default
    if isinstance(value, bool):
        return "`true`" if value else "off"
    if value is None or value == ():
        return "none"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


class Origin:
    """The environment ``Settings.from_env`` lends to the source while it builds one (None: none)."""

    def __init__(self) -> None:
        self._var: ContextVar[Mapping[str, str] | None] = ContextVar("qhost_settings_env", default=None)

    def get(self) -> Mapping[str, str] | None:
        """The lent environment, or None."""
        return self._var.get()

    @contextlib.contextmanager
    def lend(self, env: Mapping[str, str] | None) -> Iterator[None]:
        """While inside, ``get`` gives ``env`` (``os.environ`` when None)."""
        token = self._var.set(os.environ if env is None else env)
        try:
            yield
        finally:
            self._var.reset(token)


class EnvironmentSource(PydanticBaseSettingsSource):
    """Each field's declared variables in the lent environment; the first non-empty one wins."""

    def __init__(self, settings_cls: type[BaseSettings], origin: Origin) -> None:
        super().__init__(settings_cls)
        self._env = origin.get()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """The raw text of ``field_name`` (None when unset), the variable it came from, not complex."""
        env = self._env if self._env is not None else {}
        for name in env_names(field_name, field):
            if env.get(name):
                return env[name], name, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """Field name → raw text for every field a variable sets."""
        found = {}
        for name, info in self.settings_cls.model_fields.items():
            value, _, _ = self.get_field_value(info, name)
            if value is not None:
                found[name] = value
        return found


def configuration_error(
    exc: ValidationError, fields: Mapping[str, FieldInfo], env: Mapping[str, str] | None
) -> ConfigurationError:
    """The first error of ``exc`` as ``Invalid value … for setting …: what it accepts (from VARIABLE)``."""
    error = exc.errors(include_url=False)[0]
    key = str(error["loc"][0]) if error["loc"] else "?"
    message = str(error["msg"]).removeprefix("Value error, ")
    text = f"Invalid value {error['input']!r} for setting {key!r}: {message}"
    variable = _variable(fields.get(key), key, error["input"], env)
    return ConfigurationError(text + (f" (from {variable})" if variable else ""))


def _variable(info: FieldInfo | None, key: str, value: Any, env: Mapping[str, str] | None) -> str | None:
    """The variable that gave ``key`` its bad ``value``, when it came from the environment."""
    if env is None or info is None:
        return None
    return next((name for name in env_names(key, info) if env.get(name) and env[name] == value), None)
