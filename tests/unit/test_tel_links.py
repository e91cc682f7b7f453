"""Crisis numbers on the web chat: tap-to-call links, never broken across lines."""

from __future__ import annotations

from bot.web.tel import linked, tel_links


def test_numbers_become_tel_links_and_short_numbers_stay_text() -> None:
    html = str(tel_links("Polizei: 110\nTelefonSeelsorge, 24/7, 18 Sprachen: 0800 111 0 111"))
    assert '<a class="tel" href="tel:110" dir="ltr">110</a>' in html
    assert '<a class="tel" href="tel:08001110111" dir="ltr">0800 111 0 111</a>' in html
    assert "24/7, 18 Sprachen" in html


def test_the_rest_of_the_text_is_escaped() -> None:
    assert (
        str(tel_links("<b>110</b>"))
        == '&lt;b&gt;<a class="tel" href="tel:110" dir="ltr">110</a>&lt;/b&gt;'
    )


def test_a_linked_number_is_found_whole_not_inside_a_longer_one() -> None:
    # The office's address (a postcode) stands before the emergency number 110.
    html = str(linked("Adresse: Weg 1, 30110 Hannover\nPolizei 110", [("110", "tel:110")]))
    assert (
        html
        == 'Adresse: Weg 1, 30110 Hannover\nPolizei <a class="tel" href="tel:110" dir="ltr">110</a>'
    )
