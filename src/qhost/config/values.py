"""The value types of the settings, each written once: how a text (environment, flag) becomes a value.

Each is an ``Annotated`` type the ``Settings`` declaration uses; a ``ValueError`` raised here becomes the
``ConfigurationError`` that names the setting, its variable and what it accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator

__all__ = [
    "TRUE_WORDS",
    "FALSE_WORDS",
    "AtLeastOne",
    "Days",
    "LevelName",
    "MemoryMiB",
    "Names",
    "OptionalNames",
    "OptionalPath",
    "OptionalSeconds",
    "OptionalText",
    "Positive",
    "Switch",
    "Words",
    "WorkerMode",
]

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    raise ValueError(f"expected one of {list(TRUE_WORDS + FALSE_WORDS)}")


def _as_tuple(value: Any) -> tuple[str, ...] | None:
    """Comma-separated text (or any iterable) → a tuple of its non-empty stripped parts; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(v) for v in value)


def _as_words(value: Any) -> tuple[str, ...]:
    """Text separated by commas or spaces (or any iterable of such texts) → a tuple of its parts."""
    texts = [value] if isinstance(value, str) else [str(v) for v in value]
    return tuple(part for text in texts for part in text.replace(",", " ").split())


def _blank_is_none(value: Any) -> Any:
    return None if value in (None, "") else value


def _at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def _days(value: float) -> float:
    if value < 0:
        raise ValueError("must be 0 (keep forever) or a positive number of days")
    return value


def _seconds(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ValueError("must be at least 1 second (leave it unset for no limit)")
    return value


def _memory_mb(value: Any) -> int | None:
    """``auto``/None → None (sized from the machine), ``off`` → 0 (no cap), else MiB (at least 0)."""
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "auto"):
        return None
    if text == "off":
        return 0
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise ValueError("must be 'auto', 'off' (or 0) or a number of MiB")
    return number


def _worker_mode(value: Any) -> str:
    if value not in ("process", "thread"):
        raise ValueError("valid: 'process', 'thread'")
    return str(value)


Switch = Annotated[bool, BeforeValidator(_as_bool)]
"""``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off``."""
Names = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
"""Comma-separated names (a flag given several times gives several)."""
Words = Annotated[tuple[str, ...], BeforeValidator(_as_words)]
"""Words separated by commas or spaces (a flag given several times gives several)."""
OptionalNames = Annotated[tuple[str, ...] | None, BeforeValidator(_as_tuple)]
"""As ``Names``; unset (None) means "every one"."""
OptionalText = Annotated[str | None, BeforeValidator(_blank_is_none)]
"""Text; empty means unset."""
OptionalPath = Annotated[Path | None, BeforeValidator(_blank_is_none)]
"""A path; empty means unset."""
AtLeastOne = Annotated[int, AfterValidator(_at_least_one)]
"""A count of threads, connections, holds or bytes that must be at least 1."""
Positive = Annotated[float, AfterValidator(_positive)]
"""A positive number (seconds, hours)."""
Days = Annotated[float, AfterValidator(_days)]
"""Days to keep something; 0 means forever."""
OptionalSeconds = Annotated[int | None, BeforeValidator(_blank_is_none), AfterValidator(_seconds)]
"""Whole seconds, at least 1; unset means no limit."""
MemoryMiB = Annotated[int | None, BeforeValidator(_memory_mb)]
"""``auto`` (None: sized from the machine), ``off`` or 0 (no cap), or MiB."""
LevelName = Annotated[str, AfterValidator(str.upper)]
"""A logging level name, upper-cased."""
WorkerMode = Annotated[Literal["process", "thread"], BeforeValidator(_worker_mode)]
"""``process`` or ``thread``."""
