"""dialogs.crisis: whole-word crisis phrases in any language, robust to how people type."""

from __future__ import annotations

import time

import pytest

from dialogs.crisis import find_crisis, normalise

WORDS = {
    "de": ["nicht mehr leben", "umbringen", "suizid*", "Straße"],
    "en": ["kill myself", "rat"],
    "ar": ["انتحار", "أقتل نفسي"],
    "ru": ["убить себя", "суицид"],
    "uk": ["не хочу жити"],
}


@pytest.mark.parametrize(
    "text",
    [
        "Ich will nicht mehr leben",
        "ICH WILL NICHT   MEHR\n\tLEBEN!!!",
        "ich will nicht-mehr-leben",
        "...nicht mehr leben.",
        "Ich will mich umbringen",
        "ich habe Suizidgedanken",
        "SUIZID",
        "i want to KILL MYSELF",
        "\uff4b\uff49\uff4c\uff4c\u3000\uff4d\uff59\uff53\uff45\uff4c\uff46",  # full-width (NFKC)
        "STRASSE",  # casefold: ß == ss
        "أفكر في انتحار",
        "أفكر في انْتِحَار",  # with harakat
        "أفكر في انتـــحار",  # with tatweel
        "أريد أن أقتل نفسي",
        "Я хочу УБИТЬ СЕБЯ.",
        "суицид",
        "я не хочу жити",
        "I'm fine, but: rat!",
    ],
)
def test_finds_crisis_words(text: str) -> None:
    assert find_crisis(text, WORDS)


@pytest.mark.parametrize(
    "text",
    [
        "Ich möchte eine Beratung",  # "rat" inside a word
        "my landlord wants to kill my dog",
        "Ich will mehr leben",
        "kill, then myself?",  # the words of a phrase must be adjacent
        "",
        "   !!! ...",
        "суицидальные",  # "суицид" has no trailing *, so it is a whole word only
    ],
)
def test_ignores_ordinary_text(text: str) -> None:
    assert not find_crisis(text, WORDS)


def test_punctuation_between_phrase_words_is_ignored() -> None:
    assert find_crisis("kill... myself", WORDS)
    assert find_crisis("kill,myself", WORDS)


def test_any_language_list_matches_whatever_the_conversation_language() -> None:
    assert find_crisis("суицид", {"de": ["x"], "ru": ["суицид"]})
    assert not find_crisis("суицид", {"de": ["x"]})


def test_empty_lists_never_match() -> None:
    assert not find_crisis("anything at all", {})
    assert not find_crisis("anything at all", {"de": [], "en": ["!!!"]})


def test_normalise_tokens() -> None:
    assert normalise("  Hallo,   WELT!  Straße ") == ["hallo", "welt", "strasse"]
    assert normalise("\uff46\uff55\uff4c\uff4c") == ["full"]
    # precomposed letters stay distinct: "töten" is not "toten"
    assert normalise("töten") != normalise("toten")


def test_long_adversarial_input_is_fast() -> None:
    words = {"de": [f"wort{i} nummer{i}" for i in range(300)] + ["a*"]}
    text = ("wort1 " * 2000) + ("!" * 5000) + (" b" * 3000)
    started = time.perf_counter()
    assert not find_crisis(text, words)
    assert time.perf_counter() - started < 2.0
    assert find_crisis(text + " wort299 nummer299", words)


def test_arabic_and_persian_keyboard_letter_variants_match_each_other() -> None:
    # "خودکشی" (suicide, Persian) typed on an Arabic keyboard: Arabic kaf and yeh.
    assert find_crisis("فکر خودكشي دارم", {"fa": ["خودکشی"]})
    # Arabic "انتحار" listed plainly, typed with a hamza alef; alef maksura for yeh.
    assert find_crisis("أنتحار", {"ar": ["انتحار"]})
    assert find_crisis("ابغى اموت", {"ar": ["ابغي اموت"]})
    assert not find_crisis("کتاب", {"fa": ["خودکشی"]})


def test_each_word_list_is_its_own_whatever_was_searched_before() -> None:
    # Lists are prepared once and kept per list object: a new list (a new flow version)
    # must never be answered from the old one's preparation.
    old = {"de": ["gefahr"]}
    new = {"de": ["notlage"]}
    assert find_crisis("Ich bin in Gefahr", old)
    assert not find_crisis("Ich bin in Gefahr", new)
    assert find_crisis("eine Notlage", new)
    assert not find_crisis("eine Notlage", old)


def test_russian_yo_matches_its_plain_e_spelling() -> None:
    # Most people type plain ie (U+0435) for "ё"; a list may hold either.
    assert find_crisis("Он УБЬЁТ меня", {"ru": ["убьет меня"]})
    assert find_crisis("он убьет меня", {"ru": ["убьёт меня"]})


def test_ukrainian_letter_apostrophe_matches_the_typewriter_apostrophe() -> None:
    # "вбʼє" with U+02BC (the apostrophe of Ukrainian keyboard layouts), "'" or U+2019.
    words = {"uk": ["вб'є мене"]}
    assert find_crisis("він вбʼє мене", words)
    assert find_crisis("він вб\u2019є мене", words)
    assert not find_crisis("вбє мене", words)


def test_a_phrase_whose_last_word_is_a_prefix_needs_its_other_words_whole() -> None:
    words = {"de": ["will sterben*", "tot*"]}
    assert find_crisis("ich will sterben", words)
    assert find_crisis("Ich WILL sterbenskrank sein", words)
    assert find_crisis("sie ist totgeschlagen worden", words)
    assert not find_crisis("ich wollte sterben", words)  # "will" is a whole word
    assert not find_crisis("wille sterben", words)
    assert not find_crisis("es ist ein Tütchen", words)


def test_a_text_of_more_distinct_characters_than_are_kept_is_read_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What each character becomes is remembered, but only for so many characters: a text of
    any of Unicode's million characters cannot grow it without end, and what was forgotten
    is worked out again, to the same tokens."""
    import dialogs.crisis as crisis

    monkeypatch.setattr(crisis, "_TOKEN_CHARS", crisis._TokenChars())
    monkeypatch.setattr(crisis, "_TOKEN_CHARS_KEPT", 4)
    assert normalise("  Hallo,   WELT!  Straße ") == ["hallo", "welt", "strasse"]
    assert normalise("مُحَمَّد ـــ كتاب") == ["محمد", "کتاب"]
    assert find_crisis("Ich will nicht mehr leben!", WORDS)
    assert normalise("  Hallo,   WELT!  Straße ") == ["hallo", "welt", "strasse"]
    assert 0 < len(crisis._TOKEN_CHARS) <= 4
