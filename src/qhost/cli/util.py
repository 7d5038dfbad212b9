"""Helpers the ``qhost`` commands share: logging set-up and plain-text tables."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import click

from qhost.config import Settings
from qhost.errors import QhostError

__all__ = ["configure_logging", "settings_from", "table"]


def configure_logging(level: str) -> None:
    """``level`` for qhost's (and waitress's) loggers; other libraries stay at WARNING unless DEBUG.

    qiskit logs every transpiler pass at INFO, which would drown the server's own lines.
    """
    level = level.upper()
    root_level = level if level == "DEBUG" else "WARNING"
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(root_level)
    for name in ("qhost", "waitress"):
        logging.getLogger(name).setLevel(level)


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def settings_from(flags: dict[str, Any]) -> Settings:
    try:
        return Settings.from_env(**flags)
    except QhostError as exc:
        raise click.BadParameter(exc.message) from None
