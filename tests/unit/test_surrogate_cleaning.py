"""Half a surrogate pair becomes U+FFFD wherever it sits in parsed JSON, however deep."""

from __future__ import annotations

import json

from bot.channels.base import InboundMessage, without_lone_surrogates


def test_keys_values_and_nested_strings_are_replaced_and_pairs_kept() -> None:
    parsed = json.loads(r'{"a\ud800": ["x\udc00", {"b": "\ud83d\ude00 ok"}], "n": 1}')
    assert without_lone_surrogates(parsed) == {"a\ufffd": ["x\ufffd", {"b": "😀 ok"}], "n": 1}


def test_a_deeply_nested_body_raises_no_recursion_error() -> None:
    depth = 900  # json.loads still parses this; a recursive walk would not survive it
    node = without_lone_surrogates(json.loads("[" * depth + r'"\ud800"' + "]" * depth))
    for _ in range(depth):
        node = node[0]
    assert node == "\ufffd"


def test_an_inbound_message_never_carries_one() -> None:
    msg = InboundMessage("bridge", "gw-\ud800", "m1", choices=("a\udfff", "b"))
    assert msg.address == "gw-\ufffd" and msg.choices == ("a\ufffd", "b")
