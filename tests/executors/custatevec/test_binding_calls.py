"""Every cuStateVec binding call we make, checked against the binding's own source (no GPU needed).

The GPU code (``custatevec_state.py``, the availability probe, the GPU test and benchmark helpers)
calls ``cuquantum.bindings.custatevec`` positionally with 8–16 arguments. Without a GPU those calls
never run, so this test reads one pinned wheel of the version range our ``gpu`` extra allows
(``CUQUANTUM_PIN``; ``pip download --no-deps`` of the Linux x86-64 wheel whatever this machine is, once:
cached under ``.cache/wheels``, so runs do not download, nor change with each release), parses the
``cpdef`` signatures and enum classes out of its ``custatevec.pyx`` and ``_utils.pyx``, and checks
that each call names a real function with the right number of arguments and each enum member we
use exists. It checks shapes, not numbers: the numbers are ``tests/executors/custatevec/gpu``'s job.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[3]
CALLERS = [
    ROOT / "src/qhost/executors/custatevec/state.py",
    ROOT / "src/qhost/executors/custatevec/executor.py",  # the availability probe is a code string in it
    ROOT / "tests/executors/custatevec/gpu/conftest.py",
    ROOT / "benchmarks/p5_bandwidth.py",
]
EXPECTED_CALLS = {
    "create",
    "destroy",
    "set_stream",
    "set_device_mem_handler",
    "initialize_state_vector",
    "apply_matrix",
    "apply_generalized_permutation_matrix",
    "abs2sum_array",
    "collapse_by_bit_string",
    "compute_expectation",
    "sampler_create",
    "sampler_preprocess",
    "sampler_sample",
    "sampler_destroy",
    "compute_expectations_on_pauli_basis",
}
_LINUX_TAGS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
)
_CPDEF = re.compile(r"^cpdef (?:[\w\s]+ )?(\w+)\((.*)\)(?: except[^:]*)?:\s*$", re.M)
_ENUM = re.compile(r"^class (\w+)\((?:_cyb_)?IntEnum\):\n((?:[ \t]+.*\n|\n)+)", re.M)
_MEMBER = re.compile(r"^[ \t]+([A-Z][A-Z0-9_]*)\s*=", re.M)


CUQUANTUM_PIN = "26.9.0"
"""The cuquantum-python-cu12 release whose binding sources are checked: the newest the ``gpu`` extra allowed
on 2026-12-08. Bump it on purpose (a test checks it stays inside the extra's range)."""


def _gpu_requirement(name: str) -> str:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return next(r for r in extras["gpu"] if r.startswith(name))


@pytest.fixture(scope="module")
def binding_source() -> dict[str, str]:
    """``custatevec.pyx`` and ``_utils.pyx`` of the pinned wheel (downloaded once into ``.cache/wheels``).

    The wheel's sources are the same on every platform; the Linux x86-64 wheel is fetched wherever
    the tests run.
    """
    dest = ROOT / ".cache" / "wheels"
    dest.mkdir(parents=True, exist_ok=True)
    spec = f"cuquantum-python-cu12=={CUQUANTUM_PIN}"
    cached = sorted(dest.glob(f"cuquantum_python_cu12-{CUQUANTUM_PIN}-cp311-*.whl"))
    if cached:
        return _sources(cached[0])
    platforms = [a for tag in _LINUX_TAGS for a in ("--platform", tag)]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        *platforms,
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--dest",
        str(dest),
        spec,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"could not fetch {spec} from the package index:\n{done.stderr[-2000:]}"
    return _sources(sorted(dest.glob(f"cuquantum_python_cu12-{CUQUANTUM_PIN}-cp311-*.whl"))[0])


def test_the_pin_is_inside_the_gpu_extra() -> None:
    allowed = SpecifierSet(_gpu_requirement("cuquantum-python").removeprefix("cuquantum-python-cu12"))
    assert Version(CUQUANTUM_PIN) in allowed, (CUQUANTUM_PIN, str(allowed))


def _sources(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        return {
            "custatevec": zf.read("cuquantum/bindings/custatevec.pyx").decode(),
            "_utils": zf.read("cuquantum/bindings/_utils.pyx").decode(),
        }


def _signatures(pyx: str) -> dict[str, tuple[int, int]]:
    """``name -> (required, total)`` parameter counts of each ``cpdef`` function."""
    out = {}
    for name, params in _CPDEF.findall(pyx):
        parts = [p for p in params.split(",") if p.strip()]
        out[name] = (sum("=" not in p for p in parts), len(parts))
    return out


def _enums(pyx: str) -> dict[str, set[str]]:
    return {name: set(_MEMBER.findall(body)) for name, body in _ENUM.findall(pyx)}


def _is_cusv(node: ast.expr) -> bool:
    """``cusv`` or ``<anything>.cusv``: how our code names the binding module."""
    return (isinstance(node, ast.Name) and node.id == "cusv") or (
        isinstance(node, ast.Attribute) and node.attr == "cusv"
    )


def _trees(path: Path) -> list[ast.AST]:
    """The module, plus every string constant named ``_PROBE`` parsed as code."""
    tree = ast.parse(path.read_text())
    probes = [
        ast.parse(node.value.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "_PROBE" for t in node.targets)
        and isinstance(node.value, ast.Constant)
    ]
    return [tree, *probes]


def _uses() -> tuple[list[tuple[str, str, int, int]], list[tuple[str, str, str]]]:
    """``(calls, enum refs)`` found in the callers: calls as (where, fn, positional, keywords)."""
    calls, refs = [], []
    for path in CALLERS:
        for tree in _trees(path):
            for node in ast.walk(tree):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and _is_cusv(node.func.value)
                ):
                    calls.append((where, node.func.attr, len(node.args), len(node.keywords)))
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                    if _is_cusv(node.value.value):
                        refs.append((where, node.value.attr, node.attr))
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    if node.value.id in ("cudaDataType", "ComputeType"):  # from cuquantum import …
                        refs.append((where, f"cuquantum.{node.value.id}", node.attr))
    return calls, refs


def test_the_callers_are_found():
    calls, refs = _uses()
    assert EXPECTED_CALLS <= {fn for _, fn, _, _ in calls}
    assert {("MatrixLayout", "ROW"), ("Pauli", "Z"), ("cuquantum.cudaDataType", "CUDA_C_64F")} <= {
        (enum, member) for _, enum, member in refs
    }


def test_every_binding_call_matches_its_signature(binding_source):
    signatures = _signatures(binding_source["custatevec"])
    assert len(signatures) > 50, "the cpdef parser found too few functions; did the source layout change?"
    calls, _ = _uses()
    wrong = []
    for where, fn, positional, keywords in calls:
        if fn not in signatures:
            wrong.append(f"{where}: custatevec.{fn} does not exist")
            continue
        required, total = signatures[fn]
        if not required <= positional + keywords <= total:
            wrong.append(
                f"{where}: custatevec.{fn} takes {required}..{total} arguments, called with "
                f"{positional + keywords}"
            )
    assert not wrong, "\n".join(wrong)


def test_every_enum_member_exists(binding_source):
    enums = _enums(binding_source["custatevec"])
    enums.update({f"cuquantum.{k}": v for k, v in _enums(binding_source["_utils"]).items()})
    assert {
        "Pauli",
        "MatrixLayout",
        "SamplerOutput",
        "StateVectorType",
        "cuquantum.cudaDataType",
    } <= enums.keys()
    _, refs = _uses()
    missing = [
        f"{where}: {enum}.{member}" for where, enum, member in refs if member not in enums.get(enum, ())
    ]
    assert not missing, "unknown enum members:\n" + "\n".join(missing)
