"""bot.office.emergency: the crisis message's numbers become links wherever they stand whole."""

from __future__ import annotations

from pathlib import Path

from bot.office import emergency
from dialogs.loader import load_flow

INTAKE = Path(__file__).parents[2] / "dialogs" / "flows" / "intake.yaml"


def test_the_numbers_of_the_crisis_message_are_linked_in_order_and_nothing_else() -> None:
    known = emergency.known_numbers(load_flow(INTAKE), "de")
    assert known[:3] == ("110", "112", "0800 111 0 111")
    text = (
        "Am 24.03.2025 um 1100 Uhr, PLZ 30110: rufen Sie 112 oder 110 an. "
        "TelefonSeelsorge: 0800 111 0 111, noch einmal 112."
    )
    found = [(link.text, link.href) for link in emergency.links(text, known)]
    assert found == [
        ("112", "tel:112"),
        ("110", "tel:110"),
        ("0800 111 0 111", "tel:08001110111"),
        ("112", "tel:112"),
    ]


def test_a_longer_number_wins_over_a_shorter_one_inside_it() -> None:
    found = emergency.links("Rufen Sie 116 111 an.", ["111", "116 111"])
    assert [link.text for link in found] == ["116 111"]
