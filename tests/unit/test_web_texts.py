"""The page's language tables (the texts themselves: tests/unit/test_ui_catalog.py)."""

from __future__ import annotations

import re

from bot.web import texts


def test_language_tables_are_complete_and_tags_valid() -> None:
    for table in (texts.HTML_LANG, texts.DIRECTION, texts.FLOW_LANGUAGE, texts.LANGUAGE_NAMES):
        assert set(table) == set(texts.LANGUAGES)
    for tag in texts.HTML_LANG.values():
        assert re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag)
    assert texts.DIRECTION["ar"] == texts.DIRECTION["fa"] == "rtl"
    assert texts.HTML_LANG["ls"] == "de"
