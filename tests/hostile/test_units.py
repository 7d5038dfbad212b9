"""Unit checks of the hardening helpers (the HTTP-level tests of the same bugs are in the other files)."""

from __future__ import annotations

import json

import pytest

from qhost.doorway.auth import Authenticator
from qhost.doorway.keys import KeyRing, key_matches
from qhost.errors import AuthError, InputError
from qhost.protocols.json_input import MAX_JSON_DEPTH, check_depth, loads


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"qasm": "[" * 10_000, "nested": [[[1]]]})
    assert loads(text)["nested"] == [[[1]]]


def test_depth_at_the_limit_parses_and_one_more_does_not() -> None:
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert isinstance(loads(ok), list)
    with pytest.raises(InputError, match="nested 101 levels"):
        check_depth("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


def test_escaped_quotes_do_not_end_a_string_early() -> None:
    text = '{"s": "\\"[[[[[[", "v": 1}'
    check_depth(text, limit=1)
    assert loads(text, limit=1)["v"] == 1


def test_key_matches_compares_bytes() -> None:
    assert key_matches("ключ", ("ключ",))
    assert not key_matches("ключ", ("key",))
    assert not key_matches("\udcff", ("key",))
    assert not key_matches(None, ("key",))
    auth = Authenticator(KeyRing(("key",), (), b"k" * 32), b"s" * 32)
    with pytest.raises(AuthError):
        auth.owner_from_header("apikey clé")
    with pytest.raises(AuthError):
        auth.owner_from_header("Bearer clé")
