"""The ``qhost`` click group; each command lives in a module of its own (``serve``, ``backends``, ``worker``,
``jobs``, ``watch``, ``env``) and is added here."""

from __future__ import annotations

import click

__all__ = ["main"]


@click.group()
@click.version_option(package_name="qhost")
def main() -> None:
    """Host quantum-circuit simulators as network backends."""


def _register_extra_commands() -> None:
    """Commands kept in modules of their own (``qhost env``, ``qhost watch``, the distributed mode's)."""
    from qhost.cli.backends import backends
    from qhost.cli.env import register as register_env
    from qhost.cli.serve import serve
    from qhost.cli.watch import register as register_watch
    from qhost.cli.worker import register as register_distributed

    main.add_command(serve)
    main.add_command(backends)
    register_distributed(main)
    register_env(main)
    register_watch(main)


_register_extra_commands()
