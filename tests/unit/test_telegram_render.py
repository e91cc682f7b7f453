"""Rendering for Telegram without a server: keyboards, callback data, long texts, texts."""

from __future__ import annotations

import re

import pytest

from bot.channels import telegram_render as render
from bot.channels import telegram_texts as texts
from bot.channels.base import InboundMessage, InvalidMessage, Option, OutboundMessage
from bot.channels.telegram import parse_command, source_tag
from dialogs.loader import load_flow
from dialogs.model import MultiChoiceNode, SingleChoiceNode
from tests.telegram.conftest import INTAKE


def prompt(**kw: object) -> OutboundMessage:
    # The keyword arguments are OutboundMessage's own fields; mypy cannot see that in **kw.
    return OutboundMessage(delivery_id="1", address="42", text="Frage?", kind="prompt", **kw)  # type: ignore[arg-type]


def test_single_choice_buttons_and_actions() -> None:
    r = render.render(
        prompt(
            expects="choice",
            choices=(Option("yes", "Ja"), Option("no", "Nein")),
            actions=(Option("back", "Zurück"), Option("restart", "Neu anfangen")),
        )
    )
    assert r.keyboard is not None
    data = [[b.callback_data for b in row] for row in r.keyboard.inline_keyboard]
    assert data == [["c:yes"], ["c:no"], ["a:back", "a:restart"]]


def test_multiple_choice_toggles_and_selection() -> None:
    r = render.render(
        prompt(
            expects="choices",
            choices=(Option("work", "Arbeit"), Option("housing", "Wohnen")),
            actions=(Option("done", "Fertig"),),
        )
    )
    assert r.keyboard is not None
    k = render.toggled(r.keyboard, "housing")
    assert render.selection(k) == [("housing", "Wohnen")]
    assert render.selection(render.toggled(k, "housing")) == []
    assert render.label_of(k, "t:housing") == "Wohnen"


def test_skip_of_an_optional_text_is_one_button() -> None:
    r = render.render(
        prompt(
            expects="text",
            choices=(Option("skip", "Überspringen"),),
            actions=(Option("skip", "Überspringen"),),
        )
    )
    assert r.keyboard is not None
    assert [b.callback_data for row in r.keyboard.inline_keyboard for b in row] == ["c:skip"]


def test_ids_too_long_for_a_button_become_numbered_lines() -> None:
    long_id = "x" * 70
    r = render.render(prompt(expects="choice", choices=(Option(long_id, "Lang"),)))
    assert r.keyboard is None and r.chunks[-1].endswith("1. Lang")


def test_every_choice_id_of_the_shipped_flow_fits_a_button() -> None:
    flow = load_flow(INTAKE)
    for node in flow.nodes:
        for choice in getattr(node, "choices", []):
            assert render.fits("t", choice.id), choice.id


def test_long_texts_are_split_and_counsellor_messages_marked() -> None:
    text = ("Wort " * 2000).strip()
    r = render.render(
        OutboundMessage(delivery_id="1", address="1", text=text, sender="counsellor", language="en")
    )
    assert len(r.chunks) > 1 and all(len(c) <= render.MAX_TEXT // 2 for c in r.chunks)
    assert r.chunks[0].startswith("Message from the counselling team (a person is writing):\n")


@pytest.mark.parametrize("language", texts.LANGUAGES)
def test_every_bot_message_says_it_is_automatic(language: str) -> None:
    r = render.render(
        OutboundMessage(delivery_id="1", address="1", text="Frage?", language=language)
    )
    assert r.chunks[0] == f"{texts.text('bot', language)}\nFrage?"
    assert texts.text("bot", language) != texts.text("counsellor", language)


@pytest.mark.parametrize("raw", [None, "", "c:", "z:x", "a:nuke", "x:maybe", "c" * 70, "cx"])
def test_foreign_callback_data_is_ignored(raw: str | None) -> None:
    assert render.parse_callback(raw) is None


def test_commands_and_source_tags() -> None:
    command = parse_command("/Start@AnlaufstelleBot poster_1")
    assert command is not None and (command.name, command.payload) == ("start", "poster_1")
    assert parse_command("hallo") is None
    assert source_tag("plakat-hbf_2") == "plakat-hbf_2"
    assert source_tag("<script>") is None and source_tag("x" * 33) is None
    with pytest.raises(InvalidMessage):
        InboundMessage("telegram", "1", "m1", text="hi", source="poster")


def test_a_language_hint_maps_to_a_language_the_bot_speaks() -> None:
    assert texts.language_of("de-AT") == "de"
    assert texts.language_of("ls") == "ls"
    assert texts.language_of("tr") == "tr"
    assert texts.language_of("es") == "de"  # a language the bot does not speak
    assert all(re.fullmatch(r"[a-z]+", c) for c in texts.LANGUAGES)


def test_a_long_list_of_short_labels_fits_a_phone_in_columns() -> None:
    flow = load_flow(INTAKE)
    node = next(n for n in flow.nodes if n.id == "municipality")
    assert isinstance(node, SingleChoiceNode)
    towns = tuple(Option(c.id, flow.text(c.label, "de")) for c in node.choices)
    assert len(towns) >= 20
    r = render.render(prompt(expects="choice", choices=towns, seq=9))
    assert r.keyboard is not None
    rows = [len(row) for row in r.keyboard.inline_keyboard]
    assert max(rows) >= 2 and len(rows) < len(towns) * 2 // 3  # far less than a row each
    pressed = [b.callback_data for row in r.keyboard.inline_keyboard for b in row]
    assert pressed == [f"c:{o.id}@9" for o in towns]  # every town, in order, still there


def test_long_labels_keep_a_row_each() -> None:
    long = tuple(Option(f"o{i}", f"Eine lange Antwort mit vielen Wörtern {i}") for i in range(9))
    r = render.render(prompt(expects="choice", choices=long))
    assert r.keyboard is not None
    assert all(len(row) == 1 for row in r.keyboard.inline_keyboard)


def test_a_long_label_has_its_short_form_on_the_button_and_its_whole_text_in_the_question() -> None:
    shop = "Einkaufen und Dienstleistungen (z. B. Geschäft, Restaurant, Club, Vertrag, Bank)"
    r = render.render(
        prompt(
            expects="choices",
            choices=(
                Option("work", "Arbeit"),
                Option("goods_services", shop, "Einkaufen und Dienstleistungen"),
            ),
            actions=(Option("done", "Fertig"),),
        )
    )
    assert r.keyboard is not None
    labels = [b.text for row in r.keyboard.inline_keyboard for b in row]
    assert labels == ["Arbeit", "Einkaufen und Dienstleistungen", "Fertig"]
    assert f"• {shop}" in r.chunks[-1]
    assert "• Arbeit" not in r.chunks[-1]  # a short label is not said twice


def test_the_shipped_intake_puts_no_label_over_40_characters_on_a_button() -> None:
    flow = load_flow(INTAKE)
    for node in flow.nodes:
        if not isinstance(node, SingleChoiceNode | MultiChoiceNode):
            continue
        for language in flow.languages:
            options = tuple(
                Option(
                    c.id,
                    flow.text(c.label, language),
                    flow.text(c.short, language) if c.short else "",
                )
                for c in node.choices
            )
            kind = "choices" if isinstance(node, MultiChoiceNode) else "choice"
            r = render.render(prompt(expects=kind, choices=options, language=language))
            assert r.keyboard is not None
            too_long = [
                b.text for row in r.keyboard.inline_keyboard for b in row if len(b.text) > 40
            ]
            assert not too_long, f"{node.id} ({language})"
