"""bot.channels.text_render: a question as plain text for channels without buttons."""

from __future__ import annotations

from bot.channels.base import Option, OutboundMessage
from bot.channels.signal_texts import words
from bot.channels.text_render import pieces, plain_text


def test_choices_are_numbered_in_the_engines_order_with_how_to_answer() -> None:
    message = OutboundMessage(
        delivery_id="1",
        address="a",
        text="Wo ist es passiert?",
        kind="prompt",
        expects="choices",
        choices=(Option("work", "Arbeit"), Option("housing", "Wohnen")),
        suggested=("housing",),  # a pre-selection does not move it: "2" stays "Wohnen"
        actions=(Option("done", "Fertig"), Option("back", "Zurück")),
    )
    text = plain_text(message, words("de"))
    assert text.startswith("Automatische Antwort:\nWo ist es passiert?")
    assert "1. Arbeit\n2. Wohnen\nSie können mehrere Nummern schreiben" in text
    assert text.endswith("/zurück \N{EN DASH} zur letzten Frage")
    assert "Fertig" not in text  # numbers answer at once: no "done" needed


def test_a_counsellor_writes_as_a_person_and_long_texts_are_cut_at_lines() -> None:
    reply = OutboundMessage(delivery_id="2", address="a", text="Hallo", sender="counsellor")
    assert plain_text(reply, words("en")).startswith("Message from the counselling team")
    long = "\n".join(f"Zeile {i}" for i in range(400))
    parts = pieces(long, 200)
    assert all(len(p) <= 200 for p in parts) and "\n".join(parts) == long
