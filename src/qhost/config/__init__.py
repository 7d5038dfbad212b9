"""Configuration: the one declaration of qhost's settings (``Settings``, on pydantic-settings), its defaults
and limits, and the reading of a setting from this process's environment.

Modules: ``defaults`` (one constant per default and limit; standard library only), ``values`` (the value
types), ``declared`` (``setting(...)``, the environment source, the error a bad value becomes),
``settings`` (the ``Settings`` declaration), ``environment`` (``from_environment``: one setting as this
process's environment gives it now, for code that runs outside a server's settings: worker processes).

Low in the tree: every room may import it. Nothing else in ``qhost`` reads ``os.environ`` (writing it for a
child process is not reading it). ``qhost.config.defaults`` stays free of pydantic, so a cold path can take a
limit from it; the names below load pydantic-settings when first used.

May import: qhost.errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qhost.config.defaults import DEFAULT_CONSOLE_SESSION_HOURS as DEFAULT_CONSOLE_SESSION_HOURS
    from qhost.config.defaults import DEFAULT_DATA_DIR as DEFAULT_DATA_DIR
    from qhost.config.defaults import DEFAULT_HOST as DEFAULT_HOST
    from qhost.config.defaults import DEFAULT_MAX_SHOTS as DEFAULT_MAX_SHOTS
    from qhost.config.defaults import DEFAULT_PORT as DEFAULT_PORT
    from qhost.config.defaults import DEFAULT_QRISP_BACKEND as DEFAULT_QRISP_BACKEND
    from qhost.config.defaults import ENV_PREFIX as ENV_PREFIX
    from qhost.config.environment import from_environment as from_environment
    from qhost.config.settings import Settings as Settings
    from qhost.config.settings import is_loopback as is_loopback

__all__ = [
    "DEFAULT_CONSOLE_SESSION_HOURS",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HOST",
    "DEFAULT_MAX_SHOTS",
    "DEFAULT_PORT",
    "DEFAULT_QRISP_BACKEND",
    "ENV_PREFIX",
    "Settings",
    "from_environment",
    "is_loopback",
]

_WHERE = {
    "Settings": "qhost.config.settings",
    "is_loopback": "qhost.config.settings",
    "from_environment": "qhost.config.environment",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    if name in __all__:
        return getattr(importlib.import_module("qhost.config.defaults"), name)
    raise AttributeError(f"module 'qhost.config' has no attribute {name!r}")
