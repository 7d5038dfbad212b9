"""The IDL, the committed generated code and Qrisp's wire contract agree.

Three independent checks:

1. with the ``thrift`` compiler (CI installs ``thrift-compiler``): regenerate into a temporary directory and
   diff against ``src/qhost/protocols/thrift_gen``;
2. without it: parse the IDL here and compare every struct's and method's field ids, names and types with the
   ``thrift_spec`` tuples of the committed classes;
3. Qrisp's contract (qrisp 0.4.10) pinned as a literal table, and (interop) against Qrisp's generated code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from qhost_testkit import skip_without
from thrift.Thrift import TType

from qhost.protocols.thrift_gen import BackendService, ttypes
from qhost.protocols.thrift_idl import idl_text

REPO = Path(__file__).resolve().parents[2]
GEN = REPO / "src" / "qhost" / "protocols" / "thrift_gen"

QRISP_STRUCTS: dict[str, list[tuple[int, str, str]]] = {
    "Qubit": [(1, "identifier", "string")],
    "Clbit": [(1, "identifier", "string")],
    "Operation": [
        (1, "name", "string"),
        (2, "num_qubits", "i32"),
        (3, "num_clbits", "i32"),
        (4, "params", "list<double>"),
        (5, "definition", "QuantumCircuit"),
    ],
    "Instruction": [(1, "op", "Operation"), (2, "qubits", "list<Qubit>"), (3, "clbits", "list<Clbit>")],
    "QuantumCircuit": [
        (1, "qubits", "list<Qubit>"),
        (2, "clbits", "list<Clbit>"),
        (3, "data", "list<Instruction>"),
        (4, "init", "bool"),
    ],
    "ConnectivityEdge": [(1, "qb1", "Qubit"), (2, "qb2", "Qubit")],
    "BackendStatus": [
        (1, "name", "string"),
        (2, "online", "bool"),
        (3, "qubit_list", "list<Qubit>"),
        (4, "elementary_ops", "list<Operation>"),
        (5, "connectivity_map", "list<ConnectivityEdge>"),
    ],
}
"""Qrisp 0.1 - 0.4.10 ``qrisp_interface.thrift``: struct → (field id, name, type)."""

QRISP_METHODS: dict[str, tuple[list[tuple[int, str, str]], str]] = {
    "run": ([(1, "qc", "QuantumCircuit"), (2, "shots", "i32"), (3, "token", "string")], "map<string,i32>"),
    "ping": ([], "BackendStatus"),
}
"""Qrisp's ``BackendService``: method → (arguments, result type)."""

_SCALARS = {
    TType.STRING: "string",
    TType.I32: "i32",
    TType.I64: "i64",
    TType.DOUBLE: "double",
    TType.BOOL: "bool",
}


def spec_type(ttype: int, args: Any) -> str:
    """The IDL spelling of a ``thrift_spec`` type entry."""
    if ttype in _SCALARS:
        return _SCALARS[ttype]
    if ttype == TType.STRUCT:
        return str(args[0].__name__)
    if ttype == TType.LIST:
        return f"list<{spec_type(args[0], args[1])}>"
    if ttype == TType.MAP:
        return f"map<{spec_type(args[0], args[1])},{spec_type(args[2], args[3])}>"
    raise AssertionError(f"unexpected TType {ttype}")


def spec_fields(cls: type) -> list[tuple[int, str, str]]:
    return [(f[0], f[2], spec_type(f[1], f[3])) for f in cls.thrift_spec if f is not None]  # type: ignore[attr-defined]


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def _split_top(text: str) -> list[str]:
    """Split at commas outside ``<>``/``()``."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "<(" and 1 or (ch in ">)" and -1 or 0)
        if ch in ",;\n" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p.strip() for p in [*parts, cur] if p.strip()]


def _field(text: str) -> tuple[int, str, str]:
    m = re.fullmatch(r"(\d+)\s*:\s*(?:optional\s+|required\s+)?(.+?)\s+(\w+)(?:\s*=\s*\S+)?", text.strip())
    assert m, f"cannot parse field {text!r}"
    return int(m.group(1)), m.group(3), re.sub(r"\s+", "", m.group(2))


def parse_idl(text: str) -> tuple[dict[str, list[tuple[int, str, str]]], dict[str, Any]]:
    """``(structs, methods)`` of our IDL subset: structs/exceptions and one service."""
    text = _strip_comments(text)
    structs = {
        name: [_field(f) for f in _split_top(body)]
        for name, body in re.findall(r"(?:struct|exception)\s+(\w+)\s*\{(.*?)\}", text, flags=re.S)
    }
    service = re.search(r"service\s+\w+\s*\{(.*)\}", text, flags=re.S)
    assert service
    methods = {}
    pattern = r"([\w<>, ]+?)\s+(\w+)\s*\(([^)]*)\)\s*(?:throws\s*\(([^)]*)\))?\s*,?"
    for result, name, args, throws in re.findall(pattern, service.group(1)):
        methods[name] = (
            [_field(a) for a in _split_top(args)],
            re.sub(r"\s+", "", result),
            [_field(t) for t in _split_top(throws)],
        )
    return structs, methods


def test_committed_structs_match_the_idl():
    structs, _ = parse_idl(idl_text())
    assert structs, "no structs parsed"
    for name, fields in structs.items():
        assert spec_fields(getattr(ttypes, name)) == fields, name


def test_committed_service_matches_the_idl():
    _, methods = parse_idl(idl_text())
    assert sorted(methods) == sorted(BackendService.Processor(None)._processMap)
    for name, (args, result, throws) in methods.items():
        assert spec_fields(getattr(BackendService, f"{name}_args")) == args, name
        expected = [(0, "success", result), *throws]
        assert spec_fields(getattr(BackendService, f"{name}_result")) == expected, name


def test_qrisp_structs_are_kept_field_for_field():
    for name, fields in QRISP_STRUCTS.items():
        assert spec_fields(getattr(ttypes, name)) == fields, name
    init = ttypes.QuantumCircuit.thrift_spec[4]
    assert init[4] is True  # bool init = true, as in Qrisp's IDL


def test_qrisp_methods_keep_their_argument_ids_and_result_types():
    for name, (args, result) in QRISP_METHODS.items():
        ours = spec_fields(getattr(BackendService, f"{name}_args"))
        assert ours[: len(args)] == args, name
        assert spec_fields(getattr(BackendService, f"{name}_result"))[0] == (0, "success", result), name


def test_new_methods_declare_backend_error_as_field_1():
    _, methods = parse_idl(idl_text())
    for name, (_args, _result, throws) in methods.items():
        if name != "ping":
            assert throws == [(1, "error", "BackendError")], name


@pytest.mark.interop
@pytest.mark.slow
def test_qrisp_0_4_10_generated_specs_equal_ours(qrisp_service: ModuleType, qrisp_ttypes: ModuleType):
    for name in QRISP_STRUCTS:
        assert spec_fields(getattr(qrisp_ttypes, name)) == spec_fields(getattr(ttypes, name)), name
    for name, (args, _result) in QRISP_METHODS.items():
        assert spec_fields(getattr(qrisp_service, f"{name}_args")) == args
        theirs = spec_fields(getattr(qrisp_service, f"{name}_result"))
        assert theirs == spec_fields(getattr(BackendService, f"{name}_result"))[:1]


def _committed_compiler_version() -> str:
    match = re.search(r"Autogenerated by Thrift Compiler \(([\d.]+)\)", (GEN / "ttypes.py").read_text())
    assert match
    return match.group(1)


def test_generated_code_is_what_the_compiler_makes(tmp_path: Path):
    skip_without(
        "thrift (the Thrift compiler)",
        "apt-get install thrift-compiler",
        found=shutil.which("thrift") is not None,
    )
    out = subprocess.run(["thrift", "--version"], capture_output=True, text=True, check=True).stdout
    version = out.split()[-1]
    if version != _committed_compiler_version():
        pytest.skip(
            f"thrift {version} installed but the committed code was generated by "
            f"{_committed_compiler_version()}: outputs differ between compiler versions"
        )
    subprocess.run(
        [str(REPO / "scripts" / "gen_thrift.sh"), str(tmp_path / "gen")], check=True, capture_output=True
    )
    fresh = {p.name: p.read_text() for p in sorted((tmp_path / "gen").glob("*.py"))}
    committed = {p.name: p.read_text() for p in sorted(GEN.glob("*.py"))}
    assert sorted(fresh) == sorted(committed)
    for name, text in fresh.items():
        assert committed[name] == text, f"{name} differs from the IDL: run scripts/gen_thrift.sh"
