"""Click options generated from the ``Settings`` declaration: flag, help text, variables and default.

``setting_option("port")`` is the ``qhost serve`` flag the declaration names for ``Settings.port``; its help
is the setting's meaning with ``[env QHOST_PORT, QRS_PORT; default 8000]``. The option defaults to None (an
absent flag), so ``Settings.from_env(**flags)`` lets the environment decide; click reads no variable itself.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import click

from qhost.config import Settings
from qhost.config.declared import env_names, flag_of, repeatable, shown_default

__all__ = ["option_help", "plain", "setting_option"]

F = TypeVar("F", bound=Callable[..., Any])

_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def plain(text: str) -> str:
    """Markdown of a setting's meaning as terminal text: links become their words, no backticks."""
    return _LINK.sub(r"\1", text).replace("`", "")


def option_help(name: str) -> str:
    """The help of setting ``name``'s flag: its meaning, then its variables and default."""
    info = Settings.model_fields[name]
    meaning = plain(info.description or "")
    variables = ", ".join(env_names(name, info))
    return f"{meaning[:1].upper()}{meaning[1:]} [env {variables}; default {plain(shown_default(info))}]."


def _kind(name: str) -> dict[str, Any]:
    """Click's ``type`` / ``multiple`` / ``is_flag`` for the field's declared type."""
    info = Settings.model_fields[name]
    annotation = info.annotation
    args = set(typing.get_args(annotation)) - {type(None)}
    if annotation is bool:
        return {"is_flag": True}
    if repeatable(info):
        return {"multiple": True}
    for simple in (int, float):
        if annotation is simple or args == {simple}:
            return {"type": simple}
    return {}


def setting_option(
    name: str, command: str = "serve", aliases: tuple[str, ...] = (), **kwargs: Any
) -> Callable[[F], F]:
    """The ``command`` flag of setting ``name`` as the declaration gives it (``kwargs`` add click details).

    ``aliases`` are older spellings of the flag that still work (``--memory-limit-mb``).

    Raises:
        KeyError: the setting declares no flag for ``command``.
    """
    flag = flag_of(Settings.model_fields[name], command)
    if flag is None:
        raise KeyError(f"setting {name!r} declares no {command} flag")
    kind = {} if "/" in flag else _kind(name)
    settings: dict[str, Any] = {"default": None, "help": option_help(name), **kind, **kwargs}
    if settings.get("multiple"):
        settings["default"] = ()
    return click.option(flag, *aliases, name, **settings)
