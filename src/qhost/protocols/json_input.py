"""Untrusted JSON: nesting depth checked before the parser sees the text.

Python's ``json`` recurses once per ``[``/``{``; 100,000 of them raise ``RecursionError`` deep inside the
decoder (a 500 where the client deserves a 400). Every front door that parses a request body goes through
``loads`` (or ``check_depth`` first), which counts the brackets outside strings in one pass of C-speed
byte operations and refuses more than ``MAX_JSON_DEPTH`` levels with an ``InputError`` before parsing.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from qhost.errors import InputError

__all__ = ["MAX_JSON_DEPTH", "check_depth", "loads"]

MAX_JSON_DEPTH = 100
"""Deepest nesting of arrays/objects a request body may have (IBM params need about 10)."""

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def check_depth(data: bytes | str, limit: int = MAX_JSON_DEPTH, what: str = "Request body") -> None:
    """Refuse JSON text nested deeper than ``limit`` levels (raises ``InputError``; the text is not parsed).

    Brackets inside strings do not count. A text with at most ``limit`` opening brackets in all needs no
    further look.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    brackets = _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS)
    deepest = max(accumulate(_STEP[b] for b in brackets), default=0)
    if deepest > limit:
        raise InputError(
            f"{what} is nested {deepest} levels deep; the limit is {limit} levels of arrays/objects"
        )


def loads(data: bytes | str, *, limit: int = MAX_JSON_DEPTH, what: str = "Request body") -> Any:
    """``json.loads`` of untrusted text: depth checked first; any failure is an ``InputError`` (400)."""
    check_depth(data, limit, what)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{what} is not valid JSON: {exc}") from None
