"""The one place where foreign exceptions (qiskit, qiskit-aer, parsers) become qhost errors.

Every executor call into qiskit / Aer runs inside :func:`map_executor_errors`. ``FOREIGN_ERRORS``
lists the foreign types we know and what they become; anything else is an
:class:`~qhost.errors.ExecutorError` naming its type, so no foreign exception crosses the boundary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from qhost.errors import CircuitTooLarge, ExecutorError, InvalidCircuit, QhostError

__all__ = ["FOREIGN_ERRORS", "foreign_error_types", "map_error", "map_executor_errors"]

FOREIGN_ERRORS: dict[str, type[QhostError]] = {
    "qiskit.qasm2.exceptions:QASM2ParseError": InvalidCircuit,
    "qiskit.qasm2.exceptions:QASM2Error": InvalidCircuit,
    "qiskit.qasm3.exceptions:QASM3ImporterError": InvalidCircuit,
    "qiskit.qasm3.exceptions:QASM3Error": InvalidCircuit,
    "openqasm3.parser:QASM3ParsingError": InvalidCircuit,
    "qiskit.circuit.exceptions:CircuitError": InvalidCircuit,
    "qiskit.transpiler.exceptions:TranspilerError": InvalidCircuit,
    "qiskit_aer.noise.noiseerror:NoiseError": ExecutorError,
    "qiskit_aer.aererror:AerError": ExecutorError,
    "qiskit.exceptions:QiskitError": ExecutorError,
    "builtins:MemoryError": CircuitTooLarge,
}
"""``"module:Class"`` → qhost error, most specific first (the first ``isinstance`` match wins)."""

_AER_INVALID = ("invalid instructions", "not supported", "unsupported", "invalid parameter", "not in basis")
_AER_MEMORY = ("insufficient memory", "memory required", "exceeds maximum")


def foreign_error_types() -> list[tuple[type[BaseException], type[QhostError]]]:
    """Import and return the classes of ``FOREIGN_ERRORS`` that exist in this environment."""
    import importlib

    found = []
    for target, mapped in FOREIGN_ERRORS.items():
        module_name, _, attr = target.partition(":")
        try:
            found.append((getattr(importlib.import_module(module_name), attr), mapped))
        except (ImportError, AttributeError):
            continue
    return found


_TYPES: list[tuple[type[BaseException], type[QhostError]]] | None = None


def map_error(exc: Exception) -> QhostError:
    """Translate one foreign exception into the matching qhost error (message kept)."""
    global _TYPES
    if isinstance(exc, QhostError):
        return exc
    if _TYPES is None:
        _TYPES = foreign_error_types()
    message = str(exc).strip() or f"{type(exc).__name__} (the parser gave no details)"
    lowered = message.lower()
    if type(exc).__name__ == "AerError":
        if any(marker in lowered for marker in _AER_MEMORY):
            return CircuitTooLarge(f"Simulator refused the circuit: {message}")
        if any(marker in lowered for marker in _AER_INVALID):
            return InvalidCircuit(f"Simulator cannot run this circuit: {message}")
    for foreign, mapped in _TYPES:
        if isinstance(exc, foreign):
            if mapped is InvalidCircuit and type(exc).__name__ == "TranspilerError":
                return InvalidCircuit(
                    f"Circuit cannot be translated for this backend (unsupported gate?): {message}"
                )
            return mapped(message)
    return ExecutorError(f"{type(exc).__name__}: {message}")


@contextlib.contextmanager
def map_executor_errors() -> Iterator[None]:
    """Re-raise any non-qhost exception from the block as a qhost error (``raise … from exc``)."""
    try:
        yield
    except QhostError:
        raise
    except Exception as exc:
        raise map_error(exc) from exc
