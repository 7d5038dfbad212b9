"""The settings table of ``interface_docs/configuration.md``, written from the declaration.

``python -m qhost.config.reference`` prints it; ``tests/docs/test_configuration_doc.py`` checks that the
page holds exactly this table, so every setting, its variables, flag, default and meaning are documented,
and nothing that does not exist.
"""

from __future__ import annotations

from pydantic.fields import FieldInfo

from qhost.config.declared import env_names, flag_of, repeatable, shown_default
from qhost.config.settings import Settings

__all__ = ["settings_table"]

HEADER = "| Variable | CLI flag | Default | Meaning |\n|---|---|---|---|"


def _variables(name: str, info: FieldInfo) -> str:
    own, *others = env_names(name, info)
    return f"`{own}`" + "".join(f" (`{other}`)" for other in others)


def _flags(info: FieldInfo) -> str:
    serve, worker = flag_of(info, "serve"), flag_of(info, "worker")
    if serve and worker and serve == worker:
        text = f"`{serve}` (`qhost serve`, `qhost worker`)"
    elif serve or worker:
        text = f"`{serve}`" if serve else f"`qhost worker {worker}`"
    else:
        return ""
    return text + (" (repeatable)" if repeatable(info) and serve else "")


def settings_table() -> str:
    """The Markdown table: one row per setting, in declaration order."""
    rows = [
        _row(_variables(name, info), _flags(info), shown_default(info), info.description or "")
        for name, info in Settings.model_fields.items()
    ]
    return "\n".join([HEADER, *rows])


def _row(*cells: str) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


if __name__ == "__main__":
    print(settings_table())
