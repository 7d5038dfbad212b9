"""What the job page shows about a job's inputs and result, decoded once per job and cached.

Inputs: circuits, qubits, depth, shots (or precision), options set and options a simulator does not apply.
They come from the job's ``meta["summary"]``, written by the front door at submit from what it checked
there (the QASM register scan, the decoded IBM pubs): the web process never parses a circuit. A job
without one (submitted by an older server, or straight to the engine) says so.
Results: a counts histogram (counts, run_func and sampler jobs) or expectation values with their standard
deviations (estimator jobs). Inputs and results never change once stored, so summaries are cached by job
id. Decoding is bounded: texts over ``MAX_DECODE_BYTES`` are not decoded (the page says so), and a
decoding failure becomes a note on the page, never an error.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_BARS",
    "MAX_DECODE_BYTES",
    "MAX_POINTS",
    "InputSummary",
    "ResultView",
    "histogram",
    "inputs_of",
    "result_of",
    "values",
]

log = logging.getLogger(__name__)

MAX_DECODE_BYTES = 8 * 1024 * 1024
"""Inputs or results longer than this (characters) are not decoded for the page."""
MAX_BARS = 32
"""Most outcomes a histogram draws (the rest are summed into one "other" bar)."""
MAX_POINTS = 64
"""Most expectation values a chart draws per pub."""
_CACHE_SIZE = 256


@dataclass
class InputSummary:
    """A job's inputs in a few figures. ``circuits`` rows: ``{"qubits", "depth", "shots"|"precision", …}``."""

    circuits: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    not_applied: list[str] = field(default_factory=list)
    note: str = ""
    size: int = 0
    count: int = 0


@dataclass
class ResultView:
    """What the result charts draw: per pub, ``histogram`` bars or ``values`` points."""

    pubs: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    size: int = 0


class _Cache:
    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)
        return value


_cache = _Cache()


def inputs_of(job_id: str, program: str, inputs: str, meta: dict[str, Any] | None = None) -> InputSummary:
    """The summary of a job's inputs, from ``meta["summary"]`` stored at submit (cached by job id)."""
    return _cache.get(("in", job_id), lambda: _stored(program, inputs, (meta or {}).get("summary")))


def result_of(job_id: str, program: str, result: str | None) -> ResultView:
    """What to draw of a completed job's result (cached by job id)."""
    return _cache.get(("out", job_id), lambda: _safe(_draw, ResultView, program, result or ""))


def _safe(fn: Callable[[str, str], Any], kind: type, program: str, text: str) -> Any:
    if len(text) > MAX_DECODE_BYTES:
        return kind(
            note=f"{len(text)} bytes: too large to decode here (limit {MAX_DECODE_BYTES})", size=len(text)
        )
    try:
        value = fn(program, text)
    except Exception as exc:  # a page must render whatever the stored text holds
        log.debug("console: cannot decode %s text", program, exc_info=True)
        value = kind(note=f"could not be decoded ({type(exc).__name__}: {str(exc)[:200]})")
    value.size = len(text)
    return value


# -- inputs -------------------------------------------------------------------------------------------


def _stored(program: str, inputs: str, stored: Any) -> InputSummary:
    if not isinstance(stored, dict) or not isinstance(stored.get("circuits"), list):
        return InputSummary(note=f"program {program!r}: no summary was stored at submit", size=len(inputs))
    rows = [row for row in stored["circuits"] if isinstance(row, dict)]
    raw_options, raw_not_applied, raw_count = (stored.get(k) for k in ("options", "not_applied", "count"))
    options: dict[str, Any] = dict(raw_options) if isinstance(raw_options, dict) else {}
    not_applied = [str(name) for name in raw_not_applied] if isinstance(raw_not_applied, list) else []
    count = raw_count if isinstance(raw_count, int) and not isinstance(raw_count, bool) else len(rows)
    if program in ("counts", "run_func"):  # the token is never shown; the seed is the job's own
        options = {**_qasm_options(inputs), **options}
    return InputSummary(rows, options, not_applied, size=len(inputs), count=count)


def _qasm_options(inputs: str) -> dict[str, Any]:
    """The seed of a counts job (its inputs are a small JSON object; the QASM in it is not parsed)."""
    if len(inputs) > MAX_DECODE_BYTES:
        return {}
    try:
        data = json.loads(inputs)
    except ValueError:
        return {}
    seed = data.get("seed") if isinstance(data, dict) else None
    return {"seed": seed} if seed is not None else {}


# -- results ------------------------------------------------------------------------------------------


def _draw(program: str, text: str) -> ResultView:
    if program in ("counts", "run_func"):
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("batch"), list):  # a Qrisp batch: one per circuit
            return ResultView(
                [
                    {"title": f"circuit {i}: counts", "histogram": histogram(entry.get("counts", {}))}
                    for i, entry in enumerate(data["batch"])
                    if isinstance(entry, dict)
                ]
            )
        counts = data.get("counts", data) if isinstance(data, dict) else {}
        return ResultView([{"title": "counts", "histogram": histogram(counts)}])
    if program in ("sampler", "estimator"):
        from qiskit_ibm_runtime import RuntimeDecoder

        result = json.loads(text, cls=RuntimeDecoder)
        if isinstance(result, dict):  # support_qiskit=false: IBM's plain JSON (qhost.protocols.ibm_plain)
            return ResultView([_plain_pub_view(i, pub) for i, pub in enumerate(result.get("results") or [])])
        return ResultView([_pub_view(i, pub) for i, pub in enumerate(result)])
    return ResultView(note=f"program {program!r}: the result is not drawn; fetch it through the API")


def _pub_view(index: int, pub: Any) -> dict[str, Any]:
    data = pub.data
    evs = getattr(data, "evs", None)
    if evs is not None:
        return {
            "title": f"pub {index}: expectation values",
            "values": values(evs, getattr(data, "stds", None)),
        }
    for name in data:  # a sampler pub: one BitArray per classical register
        register = data[name]
        if hasattr(register, "get_counts"):
            return {"title": f"pub {index}: {name}", "histogram": histogram(register.get_counts())}
    return {"title": f"pub {index}", "histogram": []}


def _plain_pub_view(index: int, pub: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    data = pub.get("data") or {}
    if "evs" in data:
        return {"title": f"pub {index}: expectation values", "values": values(data["evs"], data.get("stds"))}
    for name, register in data.items():
        if isinstance(register, dict) and "samples" in register:
            width = int(register.get("num_bits") or 0)
            shots = np.asarray(register["samples"], dtype=object).reshape(-1)
            counts: dict[str, int] = {}
            for sample in shots:
                key = format(int(str(sample), 16), f"0{width}b")
                counts[key] = counts.get(key, 0) + 1
            return {"title": f"pub {index}: {name}", "histogram": histogram(counts)}
    return {"title": f"pub {index}", "histogram": []}


def histogram(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """Bars ``{"label", "value", "share"}`` (share of the largest bar), largest first, at most MAX_BARS."""
    items = sorted(((str(k), float(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))
    if len(items) > MAX_BARS:
        rest = sum(v for _, v in items[MAX_BARS - 1 :])
        items = [*items[: MAX_BARS - 1], (f"other ({len(items) - MAX_BARS + 1})", rest)]
    top = max((v for _, v in items), default=0.0) or 1.0
    return [{"label": k, "value": _num(v), "share": v / top} for k, v in items]


def values(evs: Any, stds: Any) -> list[dict[str, Any]]:
    """Points ``{"label", "value", "std"}`` of the flattened expectation values (first MAX_POINTS)."""
    import numpy as np

    flat = np.asarray(evs, dtype=float).reshape(-1)[:MAX_POINTS]
    errs = np.zeros_like(flat) if stds is None else np.asarray(stds, dtype=float).reshape(-1)[: len(flat)]
    return [
        {"label": str(i), "value": float(v), "std": float(e)}
        for i, (v, e) in enumerate(zip(flat, errs, strict=False))
    ]


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 6)
