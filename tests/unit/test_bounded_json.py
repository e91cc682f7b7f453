"""The one JSON parser for input from outside: size and depth bounded before parsing."""

from __future__ import annotations

import time

import pytest

from bot import bounded_json
from bot.bounded_json import JsonRejected


def reason(raw: bytes | str, **limits: int) -> str:
    with pytest.raises(JsonRejected) as caught:
        bounded_json.loads(raw, **{"max_bytes": 100_000, **limits})
    return caught.value.reason


def test_ordinary_json_parses_as_json_does() -> None:
    raw = '{"type": "answer", "choices": ["a", "b"], "n": 1.5, "t": "ä [{ \\" ]}"}'
    assert bounded_json.loads(raw, max_bytes=1000) == {
        "type": "answer",
        "choices": ["a", "b"],
        "n": 1.5,
        "t": 'ä [{ " ]}',
    }
    assert bounded_json.loads(raw.encode(), max_bytes=1000)["choices"] == ["a", "b"]


def test_depth_is_counted_outside_strings_only() -> None:
    at_limit: object = []
    for _ in range(31):
        at_limit = [at_limit]
    assert bounded_json.loads("[" * 32 + "]" * 32, max_bytes=1000) == at_limit
    assert reason("[" * 33 + "]" * 33) == "too_deep"
    assert reason('{"a": ' * 40 + "1" + "}" * 40) == "too_deep"
    brackets_in_text = '{"t": "' + "[" * 5000 + '"}'
    assert bounded_json.loads(brackets_in_text, max_bytes=100_000)["t"] == "[" * 5000
    escaped_quote = '{"t": "\\"' + "[" * 50 + '"}'
    assert bounded_json.loads(escaped_quote, max_bytes=1000)["t"].startswith('"[')


def test_every_failure_is_one_content_free_refusal() -> None:
    assert reason("[" * 5000 + "]" * 5000) == "too_deep"
    assert reason("x" * 101, max_bytes=100) == "too_large"
    assert reason("7" * 5000) == "not_json"  # int-conversion limit: a plain ValueError
    assert reason(b"\xff{}") == "not_json"
    with pytest.raises(JsonRejected) as caught:
        bounded_json.loads('{"secret": "Kanarienvogel"', max_bytes=1000)
    assert "Kanarienvogel" not in str(caught.value)


@pytest.mark.parametrize(
    "hostile",
    [b'"\\"' * 30_000, b'"' + b'\\"' * 30_000, b"[]" * 30_000, b"\\" * 60_000, b'["' * 30_000],
)
def test_the_depth_check_takes_linear_time(hostile: bytes) -> None:
    began = time.perf_counter()
    with pytest.raises(JsonRejected):
        bounded_json.loads(hostile, max_bytes=100_000)
    assert time.perf_counter() - began < 0.5
