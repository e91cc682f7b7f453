"""The page chrome's texts: every key in every UI language, with the same placeholders."""

from __future__ import annotations

import re

from bot.web import texts


def test_every_text_exists_in_every_language() -> None:
    for key, by_language in texts.T.items():
        assert set(by_language) == set(texts.LANGUAGES), key
        for lang, text in by_language.items():
            assert text.strip(), (key, lang)


def test_placeholders_match_across_languages() -> None:
    for key, by_language in texts.T.items():
        found = {lang: set(re.findall(r"\{(\w+)\}", text)) for lang, text in by_language.items()}
        assert len({frozenset(p) for p in found.values()}) == 1, (key, found)


def test_language_tables_are_complete_and_tags_valid() -> None:
    for table in (texts.HTML_LANG, texts.DIRECTION, texts.FLOW_LANGUAGE, texts.LANGUAGE_NAMES):
        assert set(table) == set(texts.LANGUAGES)
    for tag in texts.HTML_LANG.values():
        assert re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag)
    assert texts.DIRECTION["ar"] == "rtl"
    assert texts.HTML_LANG["ls"] == "de"


def test_arabic_texts_are_arabic() -> None:
    for key, by_language in texts.T.items():
        assert re.search("[\u0600-\u06ff]", by_language["ar"]), key
