"""Geometry of the console's inline SVG drawings: counts bars, expectation values, the coupling map.

The templates only place what these functions computed (no JavaScript chart library). Colours are five
classes ``c0`` (best) … ``c4`` (worst) of a value within the device's own range, so the stylesheet owns
the palette and every drawn value also appears in a table.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qhost.catalog import Device

__all__ = ["bar_chart", "calibration", "coupling_map", "value_chart"]

_W, _H, _PAD = 640, 240, 36
_ONE_QUBIT_SKIP = {"id", "reset", "delay", "measure"}


def bar_chart(bars: list[dict[str, Any]]) -> dict[str, Any]:
    """Rectangles for a histogram: ``{"width", "height", "bars": [{x, y, w, h, label, value}]}``."""
    n = max(1, len(bars))
    slot = (_W - 2 * _PAD) / n
    plot_h = _H - 2 * _PAD
    out = []
    for i, bar in enumerate(bars):
        h = max(1.0, bar["share"] * plot_h)
        out.append({
            "x": round(_PAD + i * slot + slot * 0.1, 2), "y": round(_H - _PAD - h, 2),
            "w": round(slot * 0.8, 2), "h": round(h, 2), "cx": round(_PAD + (i + 0.5) * slot, 2),
            "label": bar["label"], "value": bar["value"],
        })  # fmt: skip
    return {"width": _W, "height": _H, "base": _H - _PAD, "bars": out, "rotate": n > 8}


def value_chart(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Dots with error bars on a y axis that spans every value +- its std (and 0)."""
    lows = [p["value"] - p["std"] for p in points] + [0.0]
    highs = [p["value"] + p["std"] for p in points] + [0.0]
    lo, hi = min(lows), max(highs)
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    plot_h = _H - 2 * _PAD
    slot = (_W - 2 * _PAD) / max(1, len(points))

    def y(v: float) -> float:
        return round(_PAD + (hi - v) / span * plot_h, 2)

    out = [
        {"cx": round(_PAD + (i + 0.5) * slot, 2), "y": y(p["value"]), "y_lo": y(p["value"] - p["std"]),
         "y_hi": y(p["value"] + p["std"]), "label": p["label"], "value": p["value"], "std": p["std"]}
        for i, p in enumerate(points)
    ]  # fmt: skip
    ticks = [{"y": y(v), "label": f"{v:.3g}"} for v in (lo, (lo + hi) / 2, hi)]
    return {
        "width": _W,
        "height": _H,
        "zero": y(0.0),
        "points": out,
        "ticks": ticks,
        "left": _PAD,
        "right": _W - _PAD,
    }


def _classes(values: dict[Any, float | None]) -> dict[Any, str]:
    """``c0``…``c4`` by where each value sits between the smallest and the largest; ``cna`` when unknown."""
    known = [v for v in values.values() if v is not None and math.isfinite(v)]
    lo, hi = (min(known), max(known)) if known else (0.0, 0.0)
    out = {}
    for key, v in values.items():
        if v is None or not math.isfinite(v):
            out[key] = "cna"
        else:
            out[key] = f"c{min(4, int(5 * (v - lo) / (hi - lo))) if hi > lo else 0}"
    return out


def calibration(device: Device) -> dict[str, Any]:
    """Per-qubit rows (T1, T2, frequency, readout error …) and two-qubit gate rows from the properties."""
    props = device.props_json() or {}
    qubits = []
    for index, params in enumerate(props.get("qubits") or []):
        row: dict[str, Any] = {"qubit": index}
        for p in params:
            row[p.get("name")] = (p.get("value"), p.get("unit", ""))
        qubits.append(row)
    gates = []
    for gate in props.get("gates") or []:
        if len(gate.get("qubits", [])) != 2:
            continue
        params = {p.get("name"): p.get("value") for p in gate.get("parameters", [])}
        gates.append({"gate": gate.get("gate"), "qubits": tuple(gate["qubits"]),
                      "error": params.get("gate_error"), "length": params.get("gate_length")})  # fmt: skip
    return {"qubits": qubits, "gates": gates, "updated": props.get("last_update_date")}


def _value(row: dict[str, Any], name: str) -> float | None:
    value = row.get(name, (None, ""))[0]
    return float(value) if isinstance(value, (int, float)) else None


def coupling_map(device: Device) -> dict[str, Any] | None:
    """Nodes and edges of the device's coupling map, coloured by readout and two-qubit gate error.

    None for a device without one (``ideal`` is all-to-all).
    """
    edges = _edges(device)
    if not edges:
        return None
    cal = calibration(device)
    positions = _layout(device.name, device.num_qubits, tuple(sorted(edges)))
    readout = {row["qubit"]: _value(row, "readout_error") for row in cal["qubits"]}
    readout.update({q: None for q in range(device.num_qubits) if q not in readout})
    edge_error: dict[tuple[int, int], float | None] = {e: None for e in edges}
    for gate in cal["gates"]:
        key = tuple(sorted(gate["qubits"]))
        if key in edge_error and isinstance(gate["error"], (int, float)):
            current = edge_error[key]
            edge_error[key] = gate["error"] if current is None else min(current, gate["error"])  # type: ignore[index]
    node_cls, edge_cls = _classes(readout), _classes(edge_error)
    size = 56.0 if device.num_qubits <= 30 else 36.0

    def at(q: int) -> tuple[float, float]:
        return positions[q][0] * size + 30, positions[q][1] * size + 30

    nodes = [
        {"q": q, "x": at(q)[0], "y": at(q)[1], "cls": node_cls[q], "error": readout[q]} for q in positions
    ]
    lines = [
        {"a": a, "b": b, "cls": edge_cls[(a, b)], "error": edge_error[(a, b)],
         "x1": at(a)[0], "y1": at(a)[1], "x2": at(b)[0], "y2": at(b)[1]}
        for a, b in sorted(edges)
    ]  # fmt: skip
    width = max(at(q)[0] for q in positions) + 30
    height = max(at(q)[1] for q in positions) + 30
    return {"nodes": nodes, "edges": lines, "width": round(width), "height": round(height),
            "radius": 12 if size > 40 else 9}  # fmt: skip


def _edges(device: Device) -> set[tuple[int, int]]:
    pairs = device.conf_json().get("coupling_map") or []
    return {(min(a, b), max(a, b)) for a, b in pairs if a != b}


@functools.cache
def _layout(name: str, num_qubits: int, edges: tuple[tuple[int, int], ...]) -> dict[int, tuple[float, float]]:
    """Qubit positions in grid units: a Kamada-Kawai layout of the coupling graph, scaled to unit edges."""
    import rustworkx as rx

    graph = rx.PyGraph()
    graph.add_nodes_from(range(num_qubits))
    graph.add_edges_from_no_data(list(edges))
    pos = rx.kamada_kawai_layout(graph)
    xs = [pos[i][0] for i in range(num_qubits)]
    ys = [pos[i][1] for i in range(num_qubits)]
    lengths = [math.dist(pos[a], pos[b]) for a, b in edges] or [1.0]
    unit = sorted(lengths)[len(lengths) // 2] or 1.0
    if max(xs) - min(xs) < max(ys) - min(ys):  # landscape reads better on a laptop screen
        xs, ys = ys, xs
    return {i: ((xs[i] - min(xs)) / unit, (ys[i] - min(ys)) / unit) for i in range(num_qubits)}
