"""The fenced code blocks of README.md and interface_docs/, as the docs runner sees them.

Every block is one of:

- **python** (```` ```python ````): run as a script in a fresh process;
- **shell** (```` ```bash ````, ``sh``, ``shell``): run with ``bash -euo pipefail`` in a fresh process;
- **qrisp** (a ``python`` block after ``<!-- qrisp: 0.8.2 -->`` or ``<!-- qrisp: 0.9 -->``): run by the
  interpreter of that Qrisp version's venv (``scripts/interop_env.sh``), with ``src/`` on ``PYTHONPATH``;
- **not-run** (after ``<!-- not-run: REASON -->``): needs what the suite does not have here (a GPU, several
  hosts, Slurm, container images, a venv or package install, a long-running ``qhost serve``); listed, and
  the list is compared with ``not_run.txt`` so that it is reviewed;
- **fragment**: a block in a non-runnable language (``text``, ``console``, ``yaml``, …), or a ``python`` /
  ``bash`` block after ``<!-- fragment: REASON -->`` (signature listings); also listed in ``not_run.txt``
  when marked.

A ``python`` block after ``<!-- continues -->`` runs after the page's previous runnable python block (and
what that one continues), as a reader who pastes a page's blocks into one session would.

Examples talk to a server at ``127.0.0.1:8000`` (HTTP) and ``127.0.0.1:9090`` (Thrift), as the docs tell a
user to start it. The runner starts a real ``qhost serve`` on free ports instead and substitutes them, in
exactly these spellings and nowhere else: ``127.0.0.1:8000`` and ``"127.0.0.1", 8000`` (and ``9090``),
``port=8000``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO", "Block", "collect", "doc_files", "substitute"]

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^( *)```([\w+-]*)\s*$")  # indented fences: blocks inside list items
MARKER = re.compile(r"^<!--\s*(not-run|fragment|continues|qrisp)\s*:?\s*(.*?)\s*-->$")
PYTHON = {"python", "py"}
SHELL = {"bash", "sh", "shell"}


@dataclass(frozen=True)
class Block:
    """One fenced block: ``path`` relative to the repository, ``line`` of its opening fence (1-based)."""

    path: str
    line: int
    lang: str
    code: str
    marker: str = ""
    note: str = ""
    setup: str = ""  # the code of the blocks a `continues` block follows

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def kind(self) -> str:
        if self.marker in ("not-run", "fragment", "qrisp"):
            return self.marker
        if self.lang in PYTHON:
            return "python"
        if self.lang in SHELL:
            return "shell"
        return "fragment"

    @property
    def script(self) -> str:
        return f"{self.setup}{self.code}"

    def listing(self) -> str:
        """The line ``not_run.txt`` holds for a marked block: file, first code line, marker and reason."""
        first = next((ln.strip() for ln in self.code.splitlines() if ln.strip()), "")
        return f"{self.path} | {first} | {self.marker}: {self.note}"


def doc_files() -> list[Path]:
    """README.md and every page under interface_docs/, sorted."""
    return [REPO / "README.md", *sorted((REPO / "interface_docs").rglob("*.md"))]


def _marker_before(lines: list[str], index: int) -> tuple[str, str]:
    for prev in reversed(lines[:index]):
        if prev.strip():
            found = MARKER.match(prev.strip())
            return (found.group(1), found.group(2)) if found else ("", "")
    return "", ""


def _blocks_of(path: Path) -> list[Block]:
    rel = path.relative_to(REPO).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    last_python = ""
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent = opening.group(1)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(f"{indent}```")), None)
        if end is None:
            raise ValueError(f"{rel}:{i + 1}: code fence never closed")
        code = "\n".join(ln.removeprefix(indent) for ln in lines[i + 1 : end]) + "\n"
        marker, note = _marker_before(lines, i)
        block = Block(rel, i + 1, opening.group(2).lower(), code, marker, note)
        if marker == "continues":
            if not last_python:
                raise ValueError(f"{rel}:{i + 1}: `continues` but no python block before it")
            block = Block(rel, i + 1, block.lang, code, marker, note, setup=last_python)
        if block.kind == "python":
            last_python = block.script
        blocks.append(block)
        i = end + 1
    return blocks


def collect() -> list[Block]:
    """Every fenced block of the docs, in file order."""
    return [block for path in doc_files() for block in _blocks_of(path)]


def substitute(code: str, http_port: int, thrift_port: int) -> str:
    """The block with the documented server ports replaced by the runner's (see the module docstring)."""
    for doc_port, port in (("8000", http_port), ("9090", thrift_port)):
        code = code.replace(f"127.0.0.1:{doc_port}", f"127.0.0.1:{port}")
        code = code.replace(f'"127.0.0.1", {doc_port}', f'"127.0.0.1", {port}')
        code = code.replace(f"port={doc_port}", f"port={port}")
    return code


SHELL_TOOLS = {"curl": "apt-get install curl", "jq": "apt-get install jq"}
"""Commands a shell block may use that a fresh machine may lack (``.ci/run`` installs them)."""


def missing_tools(block: Block) -> list[str]:
    """The skip reasons for the tools of :data:`SHELL_TOOLS` that a shell ``block`` calls and this machine
    lacks."""
    if block.kind != "shell":
        return []
    calls = "\n".join(line.split("#", 1)[0] for line in block.code.splitlines())
    used = [tool for tool in SHELL_TOOLS if re.search(rf"(?<![\w.-]){tool}(?![\w.-])", calls)]
    from qhost_testkit import missing_tool  # tests/support, on sys.path from the root conftest

    return [reason for tool in used if (reason := missing_tool(tool, SHELL_TOOLS[tool])) is not None]
