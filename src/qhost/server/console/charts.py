"""Geometry of the console's inline SVG drawings: counts bars, expectation values, the coupling map.

The templates only place what these functions computed (no JavaScript chart library). Colours are five
classes ``c0`` (lowest fifth) … ``c4`` (highest fifth) of a value among the device's own values, so the
stylesheet owns the palette and every drawn value also appears in a table. Heavy-hex devices are drawn
as IBM draws them (rows joined by bridge qubits); others by a Kamada-Kawai layout of the coupling graph.
"""

from __future__ import annotations

import bisect
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
    left, plot_h = 64, _H - 2 * _PAD
    slot = (_W - left - _PAD) / max(1, len(points))

    def y(v: float) -> float:
        return round(_PAD + (hi - v) / span * plot_h, 2)

    out = [
        {"cx": round(left + (i + 0.5) * slot, 2), "y": y(p["value"]), "y_lo": y(p["value"] - p["std"]),
         "y_hi": y(p["value"] + p["std"]), "label": p["label"], "value": p["value"], "std": p["std"]}
        for i, p in enumerate(points)
    ]  # fmt: skip
    ticks = [{"y": y(v), "label": f"{v:.2f}"} for v in sorted({lo, 0.0, hi})]
    return {"width": _W, "height": _H, "zero": y(0.0), "points": out, "ticks": ticks, "left": left,
            "right": _W - _PAD, "bottom": _H - 8}  # fmt: skip


def _classes(values: dict[Any, float | None]) -> dict[Any, str]:
    """``c0`` (lowest fifth of the device's values) … ``c4`` (highest fifth); ``cna`` when unknown.

    By rank, not by distance within the range: one very bad qubit would otherwise paint the rest green.
    """
    known = sorted(v for v in values.values() if v is not None and math.isfinite(v))
    out = {}
    for key, v in values.items():
        if v is None or not math.isfinite(v):
            out[key] = "cna"
        else:
            out[key] = f"c{min(4, 5 * bisect.bisect_left(known, v) // len(known))}"
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
    """Qubit positions in grid units: rows and bridges for heavy-hex devices, else Kamada-Kawai."""
    return _rows_layout(num_qubits, edges) or _kk_layout(num_qubits, edges)


def _chains(num_qubits: int, edge_set: set[tuple[int, int]]) -> list[list[int]]:
    """Runs of consecutive qubit numbers joined by couplers (IBM numbers heavy-hex rows this way)."""
    chains: list[list[int]] = []
    for q in range(num_qubits):
        if chains and (q - 1, q) in edge_set:
            chains[-1].append(q)
        else:
            chains.append([q])
    return chains


def _rows_layout(
    num_qubits: int, edges: tuple[tuple[int, int], ...]
) -> dict[int, tuple[float, float]] | None:
    """IBM's heavy-hex drawing: rows of qubits, each pair of rows joined by single bridge qubits.

    None when the device is not numbered that way (every coupler must then be one grid step long).
    """
    edge_set = set(edges)
    chains = _chains(num_qubits, edge_set)
    rows = [c for c in chains if len(c) >= 3]
    if len(rows) < 2:
        return None
    row_of = {q: r for r, row in enumerate(rows) for q in row}
    neighbours: dict[int, list[int]] = {q: [] for q in range(num_qubits)}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    pos: dict[int, tuple[float, float]] = {q: (float(i), 0.0) for i, q in enumerate(rows[0])}
    for r in range(1, len(rows)):
        offset = next(
            (pos[u][0] - rows[r].index(v) for b in range(num_qubits) if b not in row_of
             for u in neighbours[b] for v in neighbours[b]
             if row_of.get(u) == r - 1 and row_of.get(v) == r and u in pos),
            None,
        )  # fmt: skip
        if offset is None:
            return None
        pos.update({q: (offset + i, 2.0 * r) for i, q in enumerate(rows[r])})
    for b in (q for q in range(num_qubits) if q not in row_of):
        above = [u for u in neighbours[b] if u in pos and pos[u][1] % 2 == 0]
        if not above:
            return None
        top = min(above, key=lambda u: pos[u][1])
        pos[b] = (pos[top][0], pos[top][1] + 1.0)
    if any(math.dist(pos[a], pos[b]) > 1.01 for a, b in edges) or len(set(pos.values())) != num_qubits:
        return None
    low = min(x for x, _ in pos.values())
    return {q: (x - low, y) for q, (x, y) in pos.items()}


def _kk_layout(num_qubits: int, edges: tuple[tuple[int, int], ...]) -> dict[int, tuple[float, float]]:
    """A Kamada-Kawai layout of the coupling graph, scaled so that a typical coupler is one unit long."""
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
