"""One setting as this process's environment gives it now, converted and checked by the declaration.

For code that runs without a server's ``Settings`` at hand (worker processes, the executors' limits, the
device cache): ``from_environment("max_shots")`` reads ``QHOST_MAX_SHOTS`` (and a ``QRS_`` alias where one
is declared) on every call, so a changed variable counts, and converts it once per distinct text.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from qhost.config.declared import env_names
from qhost.config.settings import Settings

__all__ = ["from_environment"]


def from_environment(name: str) -> Any:
    """The value of setting ``name`` from ``os.environ`` now (its default when no variable sets it).

    Raises:
        ConfigurationError: the variable's text is not a valid value (the message names the variable).
    """
    names = env_names(name, Settings.model_fields[name])
    return _converted(name, tuple((var, os.environ.get(var) or "") for var in names))


@functools.lru_cache(maxsize=256)
def _converted(name: str, texts: tuple[tuple[str, str], ...]) -> Any:
    return getattr(Settings.from_env({var: text for var, text in texts if text}), name)
