"""Every text a person sees exists in every language, with the German source's placeholders,
the language's CLDR plural forms and an honest review state."""

from __future__ import annotations

import re
import string

import pytest

from bot.i18n.catalog import TRANSLATED, UI, Status
from bot.i18n.languages import LANGUAGES
from bot.i18n.plurals import rule
from dialogs.loader import load_flow
from tests.telegram.conftest import INTAKE

SCRIPTS = {
    "ar": "[\u0600-\u06ff]",
    "fa": "[\u0600-\u06ff]",
    "uk": "[\u0400-\u04ff]",
    "ru": "[\u0400-\u04ff]",
}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_with_the_source_s_placeholders(language: str) -> None:
    for key, source in UI.texts.items():
        found = UI.translation(language, key)
        assert found is not None, f"{key} has no {language} text"
        assert all(form.strip() for form in found.forms), (key, language)
        wanted = fields(source.source) | fields(source.source_plural or "")
        for form in found.forms:
            # a plural form may leave out {n} ("eine Antwort"), never add another name
            assert fields(form) <= wanted, (key, language, form)
            assert fields(form) >= wanted - {"n"}, (key, language, form)
        if source.is_plural:
            assert len(found.forms) == rule(language).count, (key, language)


def test_the_service_speaks_every_language_of_the_shipped_intake() -> None:
    assert set(load_flow(INTAKE).languages) == set(LANGUAGES)


@pytest.mark.parametrize("language", sorted(SCRIPTS))
def test_texts_are_written_in_the_language_s_script(language: str) -> None:
    latin_only = [
        key
        for key in UI.texts
        if not re.search(SCRIPTS[language], UI.get(language, key))
        and not key.endswith(("_link", ".web", ".telegram"))
    ]
    assert latin_only == []


def test_new_languages_ship_marked_unreviewed_and_german_derived_ones_reviewed() -> None:
    """No speaker of Arabic, Turkish, Ukrainian, Russian, Polish or Farsi has read the texts
    yet: the catalog says so (PO `#, fuzzy`) until one has."""
    for language in ("ar", "tr", "uk", "ru", "pl", "fa"):
        assert {UI.status(language, key) for key in UI.texts} == {Status.UNREVIEWED}, language
    for language in ("ls", "en"):
        assert {UI.status(language, key) for key in UI.texts} == {Status.OK}, language


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", {1: "mindestens eine Antwort", 2: "mindestens 2 Antworten"}),
        ("en", {1: "at least one answer", 5: "at least 5 answers"}),
        ("ar", {1: "إجابة واحدة", 2: "إجابتين", 3: "3 إجابات", 11: "11 إجابة"}),
    ],
)
def test_a_count_of_answers_takes_the_language_s_plural_form(
    language: str, said: dict[int, str]
) -> None:
    for n, part in said.items():
        assert part in UI.plural(language, "web.choose_at_least", n)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        # "3 of {max} characters": the noun agrees with {max} (CLDR: 21 is "one" in Russian
        # and Ukrainian, "many" in Polish; Arabic has six forms)
        ("ru", {1: "из 1 символа", 2: "из 2 символов", 21: "из 21 символа", 25: "из 25 символов"}),
        ("uk", {1: "з 1 символу", 3: "з 3 символів", 21: "з 21 символу", 11: "з 11 символів"}),
        ("pl", {1: "z 1 znaku", 2: "z 2 znaków", 21: "z 21 znaków"}),
        ("ar", {5: "من 5 أحرف", 21: "من 21 حرفًا", 100: "من 100 حرف"}),
        ("en", {1: "of 1 character", 500: "of 500 characters"}),
    ],
)
def test_the_character_counter_agrees_with_the_limit(language: str, said: dict[int, str]) -> None:
    for limit, part in said.items():
        assert part in UI.plural(language, "web.chars_count", limit, n=3, max=limit)


def test_the_browser_gets_the_forms_by_cldr_category() -> None:
    assert set(UI.by_category("ru", "web.chars_count")) == {"one", "few", "many"}
    assert set(UI.by_category("ar", "web.chars_count")) == {
        "zero",
        "one",
        "two",
        "few",
        "many",
        "other",
    }
    assert UI.by_category("de", "web.choose_at_least")["one"].endswith("eine Antwort.")
