"""The office's other ways of contact as `{office_contact}` says them, and `doctor`'s gap."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.channels.base import Link
from bot.office import contact, legal
from bot.settings import OfficeContactSettings, Settings
from dialogs.bidi import FSI, PDI, isolate_latin

OFFICE = OfficeContactSettings(
    phone="0511 616-12345",
    email="beratung@region-hannover.example",
    web_url="https://www.region-hannover.example/antidiskriminierung",
    address="Hildesheimer Straße 20, 30169 Hannover",
    hours={"de": "Dienstag und Donnerstag, 10 bis 13 Uhr", "en": "Tuesday and Thursday, 10am-1pm"},
)
TEXT = "Sie können uns auch anders erreichen.\n{office_contact}\nSie können wiederkommen."


def test_each_way_of_contact_on_a_line_of_its_own_with_its_link() -> None:
    filled = contact.fill(TEXT, OFFICE, "Antidiskriminierungsstelle Region Hannover", "de")
    assert filled.text.splitlines()[1:-1] == [
        "Telefon: 0511 616-12345",
        "E-Mail: beratung@region-hannover.example",
        "Internet: https://www.region-hannover.example/antidiskriminierung",
        "Adresse: Hildesheimer Straße 20, 30169 Hannover",
        "Sprechzeiten: Dienstag und Donnerstag, 10 bis 13 Uhr",
    ]
    assert filled.links == (
        Link("0511 616-12345", "tel:051161612345"),
        Link("beratung@region-hannover.example", "mailto:beratung@region-hannover.example"),
        Link(
            "https://www.region-hannover.example/antidiskriminierung",
            "https://www.region-hannover.example/antidiskriminierung",
        ),
    )


def test_the_numbers_of_the_flows_text_around_it_are_links_in_the_order_they_stand() -> None:
    text = f"Rufen Sie uns an.\n{TEXT}\nIn Gefahr: Polizei 110, Notruf 112. 24/7: 0800 111 0 111."
    filled = contact.fill(text, OFFICE, "", "de")
    assert [link.text for link in filled.links] == [
        "0511 616-12345",
        "beratung@region-hannover.example",
        "https://www.region-hannover.example/antidiskriminierung",
        "110",
        "112",
        "0800 111 0 111",
    ]
    assert Link("0800 111 0 111", "tel:08001110111") in filled.links
    # The postcode and the hours of the office's lines are no phone numbers.
    assert not {"30169", "10", "13"} & {link.text for link in filled.links}


def test_the_emergency_numbers_are_links_also_without_the_offices_contact() -> None:
    filled = contact.fill("{office_contact}\nPolizei 110", OfficeContactSettings(), "X", "de")
    assert filled.links == (Link("110", "tel:110"),)


def test_the_labels_and_hours_in_the_persons_language_german_hours_where_none() -> None:
    english = contact.fill(TEXT, OFFICE, "", "en").text
    assert "Phone: 0511 616-12345" in english
    assert "Office hours: Tuesday and Thursday, 10am-1pm" in english
    easy = contact.fill(TEXT, OFFICE, "", "ls").text
    assert "Sprech-Zeiten: Dienstag und Donnerstag, 10 bis 13 Uhr" in easy


def test_only_what_is_configured() -> None:
    filled = contact.fill(TEXT, OfficeContactSettings(email="beratung@example.org"), "X", "de")
    assert filled.text == (
        "Sie können uns auch anders erreichen.\nE-Mail: beratung@example.org\n"
        "Sie können wiederkommen."
    )


def test_right_to_left_keeps_each_address_whole_so_its_link_is_found() -> None:
    # As the service fills it: after isolate_latin, which isolates the placeholder whole.
    text = isolate_latin("\u06cc\u06a9.\n{office_contact}\n\u067e.", "fa")
    assert f"{FSI}{{office_contact}}{PDI}" in text
    filled = contact.fill(text, OFFICE, "", "fa")
    assert f"{FSI}beratung@region-hannover.example{PDI}" in filled.text
    assert "{office_contact}" not in filled.text
    for link in filled.links:
        assert link.text in filled.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "de",
            "Die Kontaktdaten finden Sie auf der Internetseite der Beratungsstelle "
            "(Antidiskriminierungsstelle Region Hannover).",
        ),
        (
            "ls",
            "Die Telefon-Nummer und die Adresse finden Sie im Internet. "
            "Suchen Sie nach: Antidiskriminierungsstelle Region Hannover",
        ),
        (
            "en",
            "You will find the contact details on the counselling office's website "
            "(Antidiskriminierungsstelle Region Hannover).",
        ),
    ],
)
def test_nothing_configured_points_to_the_offices_website(language: str, expected: str) -> None:
    filled = contact.fill(
        TEXT, OfficeContactSettings(), "Antidiskriminierungsstelle Region Hannover", language
    )
    assert filled.text.splitlines()[1] == expected
    assert filled.links == ()


def test_doctor_names_the_missing_contact_until_one_way_is_set() -> None:
    missing = [g.setting for g in legal.gaps(Settings())]
    assert "office_contact.phone, .email, .web_url or .address" in missing
    configured = Settings(office_contact=OfficeContactSettings(phone="0511 1234"))
    assert not [g for g in legal.gaps(configured) if g.setting.startswith("office_contact")]


@pytest.mark.parametrize(
    "values",
    [{"phone": "call us"}, {"email": "beratung at example.org"}, {"web_url": "javascript:x"}],
)
def test_a_malformed_contact_is_refused_with_what_was_meant(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="is not"):
        OfficeContactSettings(**values)
