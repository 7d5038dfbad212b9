"""The flags of ``qhost serve`` and ``qhost worker`` against the Settings declaration.

Every option that sets a setting carries the declared flag, dest, variables and default in its help, every
declared flag exists on its command, and every other option is one of the command's own arguments (named
here, so a new flag must either be declared as a setting or added to this list on purpose).
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from qhost.cli.main import main
from qhost.cli.options import plain
from qhost.cli.serve import serve
from qhost.cli.worker import worker
from qhost.config import Settings
from qhost.config.declared import env_names, flag_of, shown_default

COMMAND_ARGUMENTS = {
    "serve": set(),
    "worker": {"queues", "count", "gpus", "heartbeat", "ignore_version_mismatch", "log_level"},
}
"""Options that are arguments of one run of the command, not settings."""

COMMANDS = {"serve": serve, "worker": worker}


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]


def flag_problems(command_name: str, command: click.Command) -> list[str]:
    """What does not match between ``command``'s options and the declaration."""
    problems = []
    declared = {
        name: flag_of(info, command_name)
        for name, info in Settings.model_fields.items()
        if flag_of(info, command_name)
    }
    for option in _options(command):
        name = option.name or ""
        if name in COMMAND_ARGUMENTS[command_name]:
            continue
        if name not in declared:
            problems.append(f"{option.opts[0]}: sets no declared setting")
            continue
        info = Settings.model_fields[name]
        flags = "/".join(option.opts + option.secondary_opts)
        if not flags.startswith(declared[name] or ""):
            problems.append(f"{name}: flag {flags}, declared {declared[name]}")
        needed = f"[env {', '.join(env_names(name, info))}; default "
        if needed not in (option.help or "") or plain(shown_default(info)) not in (option.help or ""):
            problems.append(f"{name}: help {option.help!r} lacks {needed}{shown_default(info)}")
        if option.default not in (None, ()):
            problems.append(f"{name}: default {option.default!r} (must be None: the environment decides)")
        if option.envvar:
            problems.append(f"{name}: click reads {option.envvar} itself")
    present = {option.name for option in _options(command)}
    problems += [
        f"{name}: declared flag {flag} missing" for name, flag in declared.items() if name not in present
    ]
    return problems


@pytest.mark.parametrize("command_name", ["serve", "worker"])
def test_flags_match_the_declaration(command_name: str) -> None:
    assert flag_problems(command_name, COMMANDS[command_name]) == []


def test_a_hand_written_flag_is_caught() -> None:
    rogue = click.Command(
        "serve",
        params=[
            click.Option(["--port"], type=int, default=8000, help="HTTP port."),
            click.Option(["--colour"], default=None, help="Not a setting."),
        ],
    )
    problems = flag_problems("serve", rogue)
    assert any(p.startswith("port: help") for p in problems)
    assert any(p.startswith("port: default") for p in problems)
    assert "--colour: sets no declared setting" in problems
    assert any(p.startswith("host: declared flag --host missing") for p in problems)


def test_worker_reads_broker_and_store_from_the_environment() -> None:
    """No --broker/--database-url and no variables: the usage error names both spellings."""
    result = CliRunner().invoke(main, ["worker", "--queue", "aer"], env={"QHOST_BROKER_URL": ""})
    assert result.exit_code == 2
    assert "Missing option '--broker' (or QHOST_BROKER_URL)" in result.output
