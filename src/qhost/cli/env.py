"""``qhost env``: the environment variables that point a stock qiskit-ibm-runtime client at a qhost server."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["register"]


def register(main: Any) -> None:
    """Add ``qhost env`` to the ``qhost`` click group (called by ``qhost.cli.main``)."""

    @main.command("env")
    @click.option("--url", default=None, help="Server base URL [default: http://<QHOST_HOST>:<QHOST_PORT>].")
    @click.option("--token", default="qhost", show_default=True, help="API key (any text when auth is off).")
    def env(url: str | None, token: str) -> None:
        """Print `export NAME=VALUE` lines that point a stock qiskit-ibm-runtime client at qhost."""
        import shlex

        from qhost.client.runtime import connection_env
        from qhost.config import Settings

        if url is None:
            settings = Settings.from_env()
            url = f"http://{settings.host}:{settings.port}"
        for name, value in connection_env(url, token).items():
            click.echo(f"export {name}={shlex.quote(value)}")
