"""Programs the engine runs by name, and the registry that names them.
Never the engine; protocols for payload decoding.

May import: qhost.catalog, qhost.executors.*, qhost.devices, qhost.protocols, qhost.config, qhost.errors.

A program is a top-level function ``f(backend: str | None, inputs: str) -> str`` taking and returning JSON
text. It is registered as ``"module:function"`` and imported lazily, inside the worker process that runs
it, so importing this package stays cheap and never touches a simulator (or CUDA) in the server process.

``"run_func"`` is not in the registry: the engine runs it itself, in a bounded thread pool, by calling the
``run_func`` it was given.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import lru_cache

from qhost.errors import InvalidOption

__all__ = [
    "PROGRAMS",
    "PROGRAMS_ENV",
    "RUN_FUNC",
    "load_target",
    "programs_from_env",
    "register_program",
    "resolve_program",
    "run_program",
    "run_target",
]

RUN_FUNC = "run_func"
"""The special program name whose jobs call the engine's ``run_func`` in a thread."""

PROGRAMS: dict[str, str] = {
    "counts": "qhost.programs.counts:run",
    "sampler": "qhost.programs.primitives:run_sampler",
    "estimator": "qhost.programs.primitives:run_estimator",
}
"""Program name -> ``"module:function"`` (plus any named in ``QHOST_PROGRAMS``, see ``programs_from_env``)."""

PROGRAMS_ENV = "QHOST_PROGRAMS"
"""Environment variable adding programs: ``name=module:function`` pairs, comma separated. Distributed
workers resolve programs by name in their own process, so a program registered in the server with
``register_program`` must be named here on every worker machine too."""

ProgramFunc = Callable[[str | None, str], str]


def register_program(name: str, target: str) -> None:
    """Add or replace a program. ``target`` is ``"module:function"``, importable by worker processes.

    Raises:
        InvalidOption: the name is reserved or the target is not of the form ``module:function``.
    """
    if name == RUN_FUNC:
        raise InvalidOption(f"Program name {RUN_FUNC!r} is reserved for the engine's run_func")
    module, _, func = target.partition(":")
    if not module or not func:
        raise InvalidOption(f"Program target {target!r} must look like 'package.module:function'")
    PROGRAMS[name] = target


def resolve_program(program: str) -> str:
    """The ``"module:function"`` target of a program name.

    Raises:
        InvalidOption: unknown program (the message lists the valid ones).
    """
    try:
        return PROGRAMS[program]
    except KeyError:
        valid = sorted([*PROGRAMS, RUN_FUNC])
        raise InvalidOption(f"Unknown program {program!r}; valid programs: {valid}") from None


def programs_from_env(environ: Mapping[str, str] | None = None) -> None:
    """Register the programs ``QHOST_PROGRAMS`` names (``InvalidOption`` for a malformed entry).

    ``environ`` (tests) replaces this process's environment.
    """
    from qhost.config import Settings, from_environment

    entries = from_environment("programs") if environ is None else Settings.from_env(environ).programs
    for entry in entries:
        name, sep, target = entry.partition("=")
        if not sep or not name.strip():
            raise InvalidOption(f"{PROGRAMS_ENV} entry {entry!r} must look like name=package.module:function")
        register_program(name.strip(), target.strip())


@lru_cache(maxsize=64)
def load_target(target: str) -> ProgramFunc:
    """Import ``"module:function"`` and return the function (cached per process)."""
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def run_target(target: str, backend: str | None, inputs: str) -> str:
    """Run the program function ``target`` and check that it returned text."""
    out = load_target(target)(backend, inputs)
    if not isinstance(out, str):
        raise TypeError(f"program {target} returned {type(out).__name__}, expected JSON text (str)")
    return out


def run_program(program: str, backend: str | None, inputs: str) -> str:
    """Run a registered program on ``backend`` with JSON ``inputs``; return its JSON text result."""
    return run_target(resolve_program(program), backend, inputs)


programs_from_env()
