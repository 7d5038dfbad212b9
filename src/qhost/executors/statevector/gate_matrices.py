"""Vectorised matrices of common parametrised gates: every parameter set of a PUB at once.

``FAST[name](*angle_arrays)`` returns an array of shape ``(sets, 2**k, 2**k)``; controlled gate names map
to the matrix of their target block (the controls are kept separately by the lowering).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FAST"]


def _stack(rows: list[list[Any]], n: int) -> np.ndarray:
    out = np.empty((n, len(rows), len(rows)), dtype=complex)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            out[:, i, j] = v
    return out


def _rx(t: np.ndarray) -> np.ndarray:
    c, s = np.cos(t / 2), -1j * np.sin(t / 2)
    return _stack([[c, s], [s, c]], len(t))


def _ry(t: np.ndarray) -> np.ndarray:
    c, s = np.cos(t / 2), np.sin(t / 2)
    return _stack([[c, -s], [s, c]], len(t))


def _rz(t: np.ndarray) -> np.ndarray:
    z = np.zeros(len(t))
    return _stack([[np.exp(-0.5j * t), z], [z, np.exp(0.5j * t)]], len(t))


def _p(t: np.ndarray) -> np.ndarray:
    return _stack([[np.ones(len(t)), np.zeros(len(t))], [np.zeros(len(t)), np.exp(1j * t)]], len(t))


def _u(t: np.ndarray, p: np.ndarray, lam: np.ndarray) -> np.ndarray:
    c, s = np.cos(t / 2), np.sin(t / 2)
    return _stack([[c, -np.exp(1j * lam) * s], [np.exp(1j * p) * s, np.exp(1j * (p + lam)) * c]], len(t))


def _rzz(t: np.ndarray) -> np.ndarray:
    e, f = np.exp(-0.5j * t), np.exp(0.5j * t)
    out = np.zeros((len(t), 4, 4), dtype=complex)
    for i, v in enumerate((e, f, f, e)):
        out[:, i, i] = v
    return out


FAST: dict[str, Any] = {
    "rx": _rx,
    "ry": _ry,
    "rz": _rz,
    "p": _p,
    "u1": _p,
    "u": _u,
    "u3": _u,
    "rzz": _rzz,
    "crx": _rx,
    "cry": _ry,
    "crz": _rz,
    "cp": _p,
    "cu1": _p,
    "cu3": _u,
}
"""Vectorised target matrices (all parameter sets at once); controlled names map to their base."""
