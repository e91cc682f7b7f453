# ruff: noqa: RUF001  # texts in their own scripts
"""The service's own texts translated in the console, on SQLite and PostgreSQL: the table
with each language's state, a PO file downloaded, changed in a translator's tool, imported,
and the person's page speaking the new text at once; bad files refused with their line."""

from __future__ import annotations

from collections.abc import Iterator

import polib
import pytest

from bot.i18n.catalog import UI
from storage import audit
from tests.integration import test_console as tc
from tests.integration.test_console import Console_, session_of
from tests.integration.test_translation_pages import cookie, upload

env = tc.env

PAGE = "/console/translations/texts"


@pytest.fixture(autouse=True)
def _shipped_texts_afterwards() -> Iterator[None]:
    # The catalog is the process's: later tests in this worker see the shipped texts again.
    yield
    UI.install({})


async def download(env: Console_, sid: str, lang: str) -> polib.POFile:
    resp = await env.client.get(f"{PAGE}/{lang}.po", headers=cookie(sid))
    assert resp.status == 200
    assert resp.headers["Content-Disposition"] == f'attachment; filename="anlaufstelle-{lang}.po"'
    return polib.pofile(await resp.text())


async def test_only_admins_translate_the_service_s_texts(env: Console_) -> None:
    admin, _ = await session_of(env, "admin")
    counsellor, csrf = await session_of(env, "berater-region")
    for path in (PAGE, f"{PAGE}/tr.po"):
        anonymous = await env.client.get(path, allow_redirects=False)
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/console/login"
        assert (await env.client.get(path, headers=cookie(counsellor))).status == 403
    resp = await env.client.post(
        f"{PAGE}/import", data=upload(csrf, "tr", "x"), headers=cookie(counsellor)
    )
    assert resp.status == 403
    assert (await env.client.get(f"{PAGE}/de.po", headers=cookie(admin))).status == 404
    assert (await env.client.get(f"{PAGE}/xx.po", headers=cookie(admin))).status == 404


async def test_the_table_shows_what_still_needs_a_speaker_s_review(env: Console_) -> None:
    sid, _ = await session_of(env, "admin")
    html = await (await env.client.get(PAGE, headers=cookie(sid))).text()
    total = len(UI.texts)
    assert (
        f"Englisch (en): 0 fehlen, 0 veraltet, 0 nicht geprüft (von {total} Texten) – fertig"
        in html
    )
    assert f"Türkisch (tr): 0 fehlen, 0 veraltet, {total} nicht geprüft" in html
    assert '<th scope="row"><code>web.heading</code>' in html
    assert "Sohbet" in html  # the Turkish chat heading
    po = await download(env, sid, "tr")
    assert po.metadata["Language"] == "tr"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert all(e.fuzzy for e in po)  # shipped unreviewed: marked for the translator
    uk = await download(env, sid, "uk")
    counted = next(e for e in uk if e.msgctxt == "web.choose_at_least")
    assert counted.msgid_plural and sorted(counted.msgstr_plural) == [0, 1, 2]


async def test_an_imported_translation_is_on_the_person_s_page_at_once(env: Console_) -> None:
    sid, csrf = await session_of(env, "admin")
    po = await download(env, sid, "tr")
    heading = next(e for e in po if e.msgctxt == "web.heading")
    heading.msgstr = "Sohbet: ayrımcılığa uğradıysanız yardım"
    heading.flags.remove("fuzzy")  # a Turkish speaker reviewed it
    resp = await env.client.post(
        f"{PAGE}/import",
        data=upload(csrf, "tr", str(po), "tr.po"),
        headers=cookie(sid),
        allow_redirects=False,
    )
    assert resp.status == 303
    assert resp.headers["Location"] == f"{PAGE}?notice=imported&lang=tr&changed=1"
    page = await (await env.client.get(resp.headers["Location"], headers=cookie(sid))).text()
    assert "Übersetzung tr importiert: 1 Texte geändert" in page
    assert f"Türkisch (tr): 0 fehlen, 0 veraltet, {len(UI.texts) - 1} nicht geprüft" in page

    # What the chat page's script loads when the person picks Türkçe (this office's test
    # flow has no Turkish; the browser tests walk the intake's Turkish page).
    chat = await (await env.client.get("/chat/texts/tr.json")).json()
    assert chat["texts"]["heading"] == "Sohbet: ayrımcılığa uğradıysanız yardım"
    async with env.office.store.read() as tx:
        entries = await audit.entries(tx)
    assert [e[1:] for e in entries if e[1].startswith("ui.")] == [
        ("ui.translation_imported", None, "tr 1")
    ]

    # A second look: the exported file now has it reviewed, the rest still fuzzy.
    again = await download(env, sid, "tr")
    assert not next(e for e in again if e.msgctxt == "web.heading").fuzzy


async def test_a_file_with_mistakes_is_refused_with_the_line(env: Console_) -> None:
    sid, csrf = await session_of(env, "admin")
    po = await download(env, sid, "tr")
    entry = next(e for e in po if e.msgctxt == "web.err_text_too_long")
    entry.msgstr = "Metin çok uzun."  # the {max} placeholder is gone
    text = str(po)
    line = text.splitlines().index('msgctxt "web.err_text_too_long"') + 1
    resp = await env.client.post(
        f"{PAGE}/import", data=upload(csrf, "tr", text, "tr.po"), headers=cookie(sid)
    )
    assert resp.status == 400
    html = await resp.text()
    # In the admin's language, with the placeholder that went missing.
    assert "Import abgelehnt" in html and "Die Platzhalter stimmen nicht überein" in html
    assert "der Ausgangstext hat {max}, die Übersetzung keine" in html.replace("Der ", "der ")
    assert f"Zeile {line + 2}:" in html  # the msgstr line, two below the msgctxt
    wrong = await env.client.post(
        f"{PAGE}/import", data=upload(csrf, "uk", str(po), "tr.po"), headers=cookie(sid)
    )
    assert "Diese Datei ist für die Sprache „tr“, nicht für „uk“" in await wrong.text()
    unknown = str(po).replace('msgctxt "web.heading"', 'msgctxt "web.nirgends"')
    resp = await env.client.post(
        f"{PAGE}/import", data=upload(csrf, "tr", unknown, "tr.po"), headers=cookie(sid)
    )
    assert "Einen Text „web.nirgends“ gibt es nicht" in await resp.text()
    chat = await (await env.client.get("/chat/texts/tr.json")).json()
    assert "{max}" in chat["texts"]["err_text_too_long"]  # nothing of the file was taken
