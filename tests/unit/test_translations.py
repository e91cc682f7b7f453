"""Translatable texts of a flow, PO export and import (dialogs.translations, dialogs.po)."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from dialogs import po
from dialogs import translations as tr
from dialogs.errors import FlowErrors
from dialogs.loader import parse_flow

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "flows" / "mini.yaml"
INTAKE = REPO / "dialogs" / "flows" / "intake.yaml"


def mini_source() -> str:
    return MINI.read_text(encoding="utf-8")


def intake_source() -> str:
    return INTAKE.read_text(encoding="utf-8")


def edit_po(text: str, **msgstr: str) -> str:
    """The PO text with the msgstr of the entries named by id (`:` written as `__`) replaced."""
    catalog = polib.pofile(text)
    for key, value in msgstr.items():
        text_id = key.replace("__", ":")
        entry = next(e for e in catalog if e.msgctxt == text_id)
        entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    return str(catalog)


def line_of(text: str, needle: str) -> int:
    for n, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in the text")


# ---------------------------------------------------------------- enumeration


def test_every_text_of_the_mini_flow_has_a_stable_id() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    ids = [e.id for e in tr.entries(flow)]
    assert ids[:2] == ["title", "ui:back"]
    assert "crisis:message" in ids
    for expected in (
        "node:consent:text",
        "node:consent:accept",
        "node:consent:decline",
        "node:danger:yes",
        "node:danger:no",
        "node:when:option:today",
        "node:when:option:not_sure",
        "node:municipality:choice:hannover",
        "node:handover:text",
        "node:goodbye:text",
    ):
        assert expected in ids
    # "*" texts read the same everywhere, crisis words are each language's own list.
    assert "node:municipality:choice:garbsen" not in ids
    assert not any("words" in i for i in ids)
    assert len(ids) == len(set(ids)) == 1 + 11 + 1 + 3 + 3 + 6 + 2 + 1 + 1 + 1
    consent = next(e for e in tr.entries(flow) if e.id == "node:consent:text")
    assert consent.source == "Dürfen wir Ihre Angaben speichern?"
    assert consent.translation("en") == "May we store your answers?"
    assert consent.path == ("nodes", 0, "text")


def test_ids_do_not_depend_on_the_order_of_nodes_or_choices() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    swapped = flow.model_copy(update={"nodes": list(reversed(flow.nodes))})
    assert {e.id for e in tr.entries(flow)} == {e.id for e in tr.entries(swapped)}


def test_the_shipped_intake_is_complete() -> None:
    flow = parse_flow(intake_source(), "intake.yaml")
    rows = tr.table(flow)
    assert len(rows) > 80
    assert [c.language for c in rows[0].cells] == ["ls", "en", "tr", "ru", "uk", "pl", "ar", "fa"]
    counts = tr.counts(rows)
    assert counts["en"][tr.Status.OK] == counts["ls"][tr.Status.OK] == len(rows)
    # The six drafted languages are shipped honestly marked: no speaker has reviewed them.
    for lang in ("tr", "ru", "uk", "pl", "ar", "fa"):
        assert counts[lang][tr.Status.UNREVIEWED] == len(rows)


def test_an_unreviewed_language_is_marked_and_exported_fuzzy() -> None:
    source = mini_source().replace("languages: [de, en]", "languages: [de, en]\nunreviewed: [en]")
    flow = parse_flow(source, "mini.yaml")
    rows = tr.table(flow)
    assert all(r.has_problem and r.cells[0].status is tr.Status.UNREVIEWED for r in rows)
    catalog = polib.pofile(po.export_po(flow, "en"))
    assert all("fuzzy" in e.flags for e in catalog)
    assert "reviewed" in catalog.header
    # Without the mark the same translations are fine and exported as they are.
    plain = parse_flow(mini_source(), "mini.yaml")
    assert not any("fuzzy" in e.flags for e in polib.pofile(po.export_po(plain, "en")))


@pytest.mark.parametrize(
    ("unreviewed", "message"),
    [
        ("[tr]", "language 'tr' is not declared in languages"),
        ("[de]", "'de' is the default language"),
        ("[en, en]", "language 'en' is listed twice"),
    ],
)
def test_the_unreviewed_list_names_translated_languages_of_the_flow(
    unreviewed: str, message: str
) -> None:
    source = mini_source().replace(
        "languages: [de, en]", f"languages: [de, en]\nunreviewed: {unreviewed}"
    )
    with pytest.raises(FlowErrors, match=message):
        parse_flow(source, "mini.yaml")


def test_a_missing_translation_is_marked() -> None:
    source = mini_source().replace(
        'text: {de: "Wann ist es passiert?", en: "When did it happen?"}',
        'text: {de: "Wann ist es passiert?"}',
    )
    with pytest.raises(FlowErrors, match="missing translation: en"):
        parse_flow(source, "mini.yaml")
    flow = parse_flow(source, "mini.yaml", complete=False)
    row = next(r for r in tr.table(flow) if r.entry.id == "node:when:text")
    assert row.has_problem and row.cells[0].status is tr.Status.MISSING


# ---------------------------------------------------------------- export


def test_export_has_the_language_header_ids_and_sources() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    text = po.export_po(flow, "en")
    catalog = polib.pofile(text)
    assert catalog.metadata["Language"] == "en"
    assert catalog.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    entry = next(e for e in catalog if e.msgctxt == "node:handover:text")
    assert entry.msgid.startswith("Danke. Ihr Fall-Code: {case_code}.")
    assert entry.msgstr.startswith("Thank you.")
    assert "{case_code}" in entry.comment and "fuzzy" not in entry.flags
    assert len(catalog) == len(tr.entries(flow))


def test_export_refuses_the_source_language_and_unknown_ones() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    with pytest.raises(po.TranslationError, match="source language"):
        po.export_po(flow, "de")
    with pytest.raises(po.TranslationError, match="no language 'tr'"):
        po.export_po(flow, "tr")


# ---------------------------------------------------------------- import


@pytest.mark.parametrize("path", [MINI, INTAKE], ids=["mini", "intake"])
def test_export_then_import_changes_no_text(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    flow = parse_flow(source, path.name)
    for lang in tr.translated_languages(flow):
        done = po.import_po(source, path.name, po.export_po(flow, lang), f"{lang}.po", lang)
        assert (done.changed, done.added) == (0, 0)
        assert [e.text for e in tr.entries(done.flow)] == [e.text for e in tr.entries(flow)]
        if lang in flow.unreviewed:
            # Exported fuzzy, so nothing is recorded as reviewed: the file stays as it is.
            assert done.source == source
            continue
        # The file is kept as written; only the record of the sources is appended.
        assert done.source.startswith(source)
        assert done.source[len(source) :].lstrip().startswith("# Written by the translation")
        assert set(done.flow.translation_sources) == {lang}
        # Once recorded, a round trip gives back the very same file.
        again = po.import_po(
            done.source, path.name, po.export_po(done.flow, lang), f"{lang}.po", lang
        )
        assert again.source == done.source


def test_a_translators_changes_are_imported_in_place() -> None:
    source = intake_source()
    flow = parse_flow(source, "intake.yaml")
    exported = po.export_po(flow, "en")
    changed = edit_po(
        exported,
        title="First contact: anti-discrimination advice",
        ui__invalid_choice=(
            "Sorry, I did not get that. Please pick one of the answers, or type its number. "
            'Answers such as "not sure" can only be picked on their own.'
        ),
        crisis__message="Are you in danger?\nPolice: 110\nEmergency: 112",
    )
    done = po.import_po(source, "intake.yaml", changed, "en.po", "en")
    assert (done.changed, done.added) == (3, 0)
    texts = {e.id: e.text for e in tr.entries(done.flow)}
    assert texts["title"]["en"] == "First contact: anti-discrimination advice"
    assert texts["title"]["de"] == "Erstkontakt Antidiskriminierungsberatung"
    assert texts["crisis:message"]["en"] == "Are you in danger?\nPolice: 110\nEmergency: 112"
    assert texts["ui:invalid_choice"]["en"].startswith("Sorry, I did not get that.")
    # Comments and every other text stay as written; block texts stay blocks.
    kept = [line for line in source.splitlines() if line.lstrip().startswith("#")]
    assert all(line in done.source for line in kept)
    assert '  en: "First contact: anti-discrimination advice"' in done.source
    assert "    en: |-\n      Are you in danger?\n      Police: 110\n" in done.source
    assert "    en: >-\n      Sorry, I did not get that." in done.source
    before = {e.id: e.text for e in tr.entries(flow)}
    untouched = {"title", "ui:invalid_choice", "crisis:message"}
    assert all(texts[i] == before[i] for i in before if i not in untouched)


def test_missing_translations_are_added_to_block_and_flow_mappings() -> None:
    source = (
        mini_source()
        .replace(
            'text: {de: "Wann ist es passiert?", en: "When did it happen?"}',
            'text: {de: "Wann ist es passiert?"}',
        )
        .replace(
            '    text:\n      de: "Danke. Ihr Fall-Code: {case_code}. Antwort {response_time}."\n'
            '      en: "Thank you. Your case code: {case_code}. Answer {response_time}."\n',
            '    text:\n      de: "Danke. Ihr Fall-Code: {case_code}. Antwort {response_time}."\n',
        )
    )
    flow = parse_flow(source, "mini.yaml", complete=False)
    exported = po.export_po(flow, "en")
    filled = edit_po(
        exported,
        node__when__text="When did it happen, roughly?",
        node__handover__text="Thanks. Code: {case_code}. Reply {response_time}.",
    )
    done = po.import_po(source, "mini.yaml", filled, "en.po", "en")
    assert (done.changed, done.added) == (0, 2)
    assert 'text: {de: "Wann ist es passiert?", en: "When did it happen, roughly?"}' in done.source
    assert '      en: "Thanks. Code: {case_code}. Reply {response_time}."\n' in done.source


def test_outdated_after_the_source_text_changes_and_until_reviewed() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    first = po.import_po(mini_source(), "mini.yaml", po.export_po(flow, "en"), "en.po", "en")
    assert not any(r.has_problem for r in tr.table(first.flow))
    # Someone rewrites the German question.
    source = first.source.replace("Dürfen wir Ihre Angaben speichern?", "Dürfen wir das speichern?")
    flow = parse_flow(source, "mini.yaml")
    row = next(r for r in tr.table(flow) if r.entry.id == "node:consent:text")
    assert row.cells[0].status is tr.Status.OUTDATED
    assert [r.entry.id for r in tr.table(flow) if r.has_problem] == ["node:consent:text"]
    exported = po.export_po(flow, "en")
    entry = next(e for e in polib.pofile(exported) if e.msgctxt == "node:consent:text")
    assert entry.fuzzy and entry.msgid == "Dürfen wir das speichern?"
    # Re-imported as exported (still fuzzy): taken over, still outdated.
    same = po.import_po(source, "mini.yaml", exported, "en.po", "en")
    consent = next(e for e in tr.entries(same.flow) if e.id == "node:consent:text")
    assert tr.status(same.flow, consent, "en") is tr.Status.OUTDATED
    # A file exported before the change carries the old German text: still outdated.
    old = po.import_po(source, "mini.yaml", po.export_po(first.flow, "en"), "en.po", "en")
    assert any(r.has_problem for r in tr.table(old.flow))
    # Reviewed (fuzzy removed, new wording): up to date.
    reviewed = edit_po(exported, node__consent__text="May we store this?")
    done = po.import_po(source, "mini.yaml", reviewed, "en.po", "en")
    assert not any(r.has_problem for r in tr.table(done.flow))
    assert "May we store this?" in done.source


def test_unknown_id_is_refused_with_its_line() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    text = po.export_po(flow, "en").replace(
        'msgctxt "node:goodbye:text"', 'msgctxt "node:farewell:text"'
    )
    with pytest.raises(po.PoErrors) as caught:
        po.import_po(mini_source(), "mini.yaml", text, "en.po", "en")
    (error,) = caught.value.errors
    assert error.line == line_of(text, 'msgctxt "node:farewell:text"')
    assert str(error) == f"en.po:{error.line}: unknown text id 'node:farewell:text' in flow 'mini'"


def test_broken_placeholders_are_refused_with_the_msgstr_line() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    text = edit_po(
        po.export_po(flow, "en"),
        node__handover__text="Thank you. Your code: {case_cod}. Answer {response_time}.",
        node__goodbye__text="Goodbye {name}",
        node__consent__text="May we { store it?",
    )
    with pytest.raises(po.PoErrors) as caught:
        po.import_po(mini_source(), "mini.yaml", text, "en.po", "en")
    errors = caught.value.errors
    assert [e.line for e in errors] == [
        line_of(text, 'msgstr "May we { store it?"'),
        line_of(text, "{case_cod}"),
        line_of(text, 'msgstr "Goodbye {name}"'),
    ]
    assert "not part of a {placeholder}" in errors[0].message
    assert errors[1].message == (
        "placeholders differ: the source has {case_code}, {response_time}, "
        "the translation {case_cod}, {response_time}"
    )
    assert "the source has none, the translation {name}" in errors[2].message


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ('msgid "Fertig', "double quotes"),
        ("msgid Fertig", "double quotes"),
        ('msgid "Fer"tig"', "double quotes"),
        ("das ist kein PO", "syntax error"),
    ],
)
def test_a_malformed_file_is_refused_with_the_line_of_the_problem(
    broken: str, message: str
) -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    text = po.export_po(flow, "en")
    lines = text.splitlines()
    bad = line_of(text, 'msgctxt "ui:done"') + 1
    lines[bad - 1] = broken
    with pytest.raises(po.PoErrors) as caught:
        po.import_po(mini_source(), "mini.yaml", "\n".join(lines), "en.po", "en")
    (error,) = caught.value.errors
    assert error.line == bad
    assert error.message.startswith("not a readable PO file")
    assert message in error.message


def test_a_path_as_the_file_content_is_not_read() -> None:
    with pytest.raises(po.PoErrors, match="not a readable PO file"):
        po.import_po(mini_source(), "mini.yaml", str(MINI), "en.po", "en")


def test_languages_the_flow_does_not_know() -> None:
    flow = parse_flow(mini_source(), "mini.yaml")
    text = po.export_po(flow, "en")
    with pytest.raises(po.PoErrors, match="for language 'en', not 'tr'") as caught:
        po.import_po(mini_source(), "mini.yaml", text, "en.po", "tr", add_language=True)
    assert caught.value.errors[0].line == line_of(text, '"Language: en')
    turkish = text.replace('"Language: en', '"Language: tr')
    with pytest.raises(po.PoErrors, match=r"has no language 'tr'.*option to add a language"):
        po.import_po(mini_source(), "mini.yaml", turkish, "tr.po", "tr")
    with pytest.raises(po.PoErrors, match="source language"):
        po.import_po(
            mini_source(), "mini.yaml", text.replace("Language: en", "Language: de"), "de.po", "de"
        )
    # Adding a language needs its crisis words, which no PO file brings: the validator says so.
    with pytest.raises(FlowErrors, match="no crisis words for: tr"):
        po.import_po(mini_source(), "mini.yaml", turkish, "tr.po", "tr", add_language=True)


def test_adding_a_language_with_its_crisis_words_written_first() -> None:
    source = mini_source().replace(
        "    en: [kill myself, in danger]\n",
        "    en: [kill myself, in danger]\n    tr: [kendimi öldürmek]\n",
    )
    flow = parse_flow(source, "mini.yaml", complete=False)
    english = polib.pofile(po.export_po(flow, "en"))
    english.metadata["Language"] = "tr"
    done = po.import_po(source, "mini.yaml", str(english), "tr.po", "tr", add_language=True)
    assert done.flow.languages == ["de", "en", "tr"]
    assert "languages: [de, en, tr]" in done.source
    assert done.added == len(tr.entries(done.flow))
