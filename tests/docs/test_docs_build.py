"""The user docs build with ``mkdocs build --strict`` and cover every setting, flag and executor."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from qhost.executors import EXECUTORS

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "interface_docs"


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="needs mkdocs (pip install -e '.[docs]')")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "architecture" / "index.html").exists()


def test_every_doc_page_is_in_the_nav():
    nav = (REPO / "mkdocs.yml").read_text()
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert {page for page in pages if page not in nav} == set()


def test_the_docs_home_links_every_page():
    home = (DOCS / "index.md").read_text()
    linked = set(re.findall(r"\]\(([^)#]+\.md)", home))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")} - {"index.md"}
    assert sorted(pages - linked) == []


def test_every_serve_flag_is_documented():
    from qhost.cli.serve import serve

    text = (DOCS / "configuration.md").read_text()
    flags = [opt for param in serve.params for opt in param.opts if opt.startswith("--")]
    assert [flag for flag in flags if f"`{flag}" not in text] == []


def test_every_executor_is_documented():
    text = (DOCS / "executors.md").read_text()
    assert [name for name in EXECUTORS if f"`{name}`" not in text] == []
