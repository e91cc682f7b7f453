"""The admin's translation pages against the real app and store, on SQLite and PostgreSQL:
who may see them, the table, the PO download, and an upload that publishes a new version."""

from __future__ import annotations

import re
from pathlib import Path

import polib
from aiohttp import FormData

from bot.conversation.flows import publish_files
from storage import audit
from storage import flows as flow_versions
from tests.integration import test_console as tc
from tests.integration.test_console import Console_, session_of

env = tc.env
"""The console fixture (the office, its counsellors and an admin in no team)."""


def cookie(sid: str) -> dict[str, str]:
    return {"Cookie": f"console={sid}"}


def upload(csrf: str, lang: str, content: str | bytes, filename: str = "en.po") -> FormData:
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("lang", lang)
    form.add_field(
        "po",
        content.encode("utf-8") if isinstance(content, str) else content,
        filename=filename,
        content_type="text/x-gettext-translation",
    )
    return form


async def download(env: Console_, sid: str, lang: str = "en") -> str:
    resp = await env.client.get(f"/console/translations/{lang}.po", headers=cookie(sid))
    assert resp.status == 200
    return await resp.text()


async def test_only_admins_see_the_translation_pages(env: Console_) -> None:
    admin_sid, admin_csrf = await session_of(env, "admin")
    counsellor_sid, counsellor_csrf = await session_of(env, "berater-region")
    gets = ("/console/translations", "/console/translations/en.po")
    for path in gets:
        anonymous = await env.client.get(path, allow_redirects=False)
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/console/login"
        counsellor = await env.client.get(path, headers=cookie(counsellor_sid))
        assert counsellor.status == 403, path
        assert (await env.client.get(path, headers=cookie(admin_sid))).status == 200, path
    content = await download(env, admin_sid)
    post = "/console/translations/import"
    assert (await env.client.post(post, data=upload("", "en", content))).status == 403
    resp = await env.client.post(
        post, data=upload(counsellor_csrf, "en", content), headers=cookie(counsellor_sid)
    )
    assert resp.status == 403
    # A counsellor's page has no link to the translations; an admin's has.
    queue = await (await env.client.get("/console", headers=cookie(counsellor_sid))).text()
    assert "/console/translations" not in queue
    queue = await (await env.client.get("/console", headers=cookie(admin_sid))).text()
    assert '<a href="/console/translations">Übersetzungen</a>' in queue
    # The admin's own form with a wrong token, a urlencoded body and an unknown language.
    resp = await env.client.post(
        post, data=upload("falsch", "en", content), headers=cookie(admin_sid)
    )
    assert resp.status == 403
    resp = await env.client.post(post, data={"csrf": admin_csrf}, headers=cookie(admin_sid))
    assert resp.status == 403
    assert (
        await env.client.get("/console/translations/tr.po", headers=cookie(admin_sid))
    ).status == 404
    assert (
        await env.client.get("/console/translations/de.po", headers=cookie(admin_sid))
    ).status == 404


async def test_the_table_marks_outdated_texts_and_filters(env: Console_) -> None:
    sid, _ = await session_of(env, "admin")
    resp = await env.client.get("/console/translations", headers=cookie(sid))
    html = await resp.text()
    assert "<caption" in html and '<th scope="row"><code>node:consent:text</code></th>' in html
    assert "May we store your answers?" in html
    assert "veraltet</span>" not in html and "fehlt</span>" not in html
    assert "Englisch (en): 0 fehlen, 0 veraltet" in html
    # The translation is recorded, then someone changes the German question.
    async with env.office.store.tx(env.clock()) as tx:
        current = await flow_versions.current(tx, "mini")
        assert current is not None
        source = current.source + (
            '\ntranslation_sources:\n  en:\n    "node:consent:text": "00000000"\n'
        )
        await flow_versions.publish(tx, "mini", source, "test")
    html = await (await env.client.get("/console/translations", headers=cookie(sid))).text()
    assert '<span class="badge status-outdated" lang="de">veraltet</span> May we store' in html
    filtered = await env.client.get("/console/translations?problems=1", headers=cookie(sid))
    html = await filtered.text()
    assert re.findall(r'<th scope="row"><code>([^<]+)</code>', html) == ["node:consent:text"]
    assert "1 von" in html
    po_text = await download(env, sid)
    entry = next(e for e in polib.pofile(po_text) if e.msgctxt == "node:consent:text")
    assert entry.fuzzy


async def test_an_uploaded_translation_becomes_a_new_published_version(env: Console_) -> None:
    sid, csrf = await session_of(env, "admin")
    catalog = polib.pofile(await download(env, sid))
    assert catalog.metadata["Language"] == "en"
    entry = next(e for e in catalog if e.msgctxt == "node:goodbye:text")
    entry.msgstr = "What a pity. Goodbye."
    async with env.office.store.read() as tx:
        before = await flow_versions.current(tx, "mini")
    assert before is not None and before.number is not None

    resp = await env.client.post(
        "/console/translations/import",
        data=upload(csrf, "en", str(catalog)),
        headers=cookie(sid),
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    page = await env.client.get(resp.headers["Location"], headers=cookie(sid))
    html = await page.text()
    assert f"als Version {before.number + 1} veröffentlicht: 1 Texte geändert, 0 ergänzt" in html
    assert "What a pity. Goodbye." in html
    async with env.office.store.read() as tx:
        after = await flow_versions.current(tx, "mini")
        entries = await audit.entries(tx)
    assert after is not None and after.number == before.number + 1
    assert after.note == "Übersetzung en importiert"
    assert "text: {de: Schade. Auf Wiedersehen., en: What a pity. Goodbye.}" in after.source
    assert any(action == "flow.translation_imported" for _, action, _, _ in entries)
    # The same file again changes nothing.
    again = await env.client.post(
        "/console/translations/import",
        data=upload(csrf, "en", str(catalog)),
        headers=cookie(sid),
        allow_redirects=False,
    )
    assert again.headers["Location"] == "/console/translations?notice=unchanged"


async def test_a_broken_upload_is_refused_with_po_lines(env: Console_) -> None:
    sid, csrf = await session_of(env, "admin")
    content = await download(env, sid)
    broken = content.replace('msgctxt "node:goodbye:text"', 'msgctxt "node:adieu:text"')
    line = broken.splitlines().index('msgctxt "node:adieu:text"') + 1
    resp = await env.client.post(
        "/console/translations/import", data=upload(csrf, "en", broken), headers=cookie(sid)
    )
    assert resp.status == 400
    html = await resp.text()
    assert 'role="alert"' in html
    assert f"Zeile {line}: Einen Text „node:adieu:text“ gibt es im Ablauf „mini“ nicht." in html
    resp = await env.client.post(
        "/console/translations/import",
        data=upload(csrf, "en", content.replace('"Language: en', '"Language: de')),
        headers=cookie(sid),
    )
    assert resp.status == 400
    assert "Diese Datei ist für die Sprache „de“, nicht für „en“" in await resp.text()
    resp = await env.client.post(
        "/console/translations/import",
        data=upload(csrf, "en", b'msgid ""\nmsgstr ""\n\xff\n'),
        headers=cookie(sid),
    )
    assert resp.status == 400
    assert "Zeile 3: Die Datei ist kein UTF-8-Text." in await resp.text()
    async with env.office.store.read() as tx:
        current = await flow_versions.current(tx, "mini")
    assert current is not None and current.number == 1


async def test_the_table_shows_unreviewed_languages_as_not_checked(env: Console_) -> None:
    sid, _ = await session_of(env, "admin")
    async with env.office.store.tx(env.clock()) as tx:
        current = await flow_versions.current(tx, "mini")
        assert current is not None
        source = current.source.replace(
            "languages: [de, en]", "languages: [de, en]\nunreviewed: [en]"
        )
        await flow_versions.publish(tx, "mini", source, "test")
    html = await (await env.client.get("/console/translations", headers=cookie(sid))).text()
    assert (
        '<span class="badge status-unreviewed" lang="de">nicht geprüft</span> May we store' in html
    )
    assert re.search(r"Englisch \(en\): 0 fehlen, 0 veraltet, [1-9]\d* nicht geprüft", html)
    filtered = await env.client.get("/console/translations?problems=1", headers=cookie(sid))
    assert "May we store your answers?" in await filtered.text()
    # The PO file marks every unreviewed translation fuzzy.
    catalog = polib.pofile(await download(env, sid))
    assert catalog and all("fuzzy" in entry.flags for entry in catalog)


async def test_a_translation_that_would_break_the_flow_is_refused_in_german(
    env: Console_, tmp_path: Path
) -> None:
    # A published version with a short button label, whose English is then made too long.
    source = env.office.flow_path.read_text(encoding="utf-8")
    with_short = source.replace(
        "{id: hannover, label: {de: Hannover, en: Hanover}}",
        "{id: hannover, label: {de: Hannover, en: Hanover}, short: {de: Hannover, en: Hanover}}",
    )
    assert with_short != source
    (tmp_path / "mini.yaml").write_text(with_short, encoding="utf-8")
    await publish_files(env.office.store, [tmp_path / "mini.yaml"])
    sid, csrf = await session_of(env, "admin")
    catalog = polib.pofile(await download(env, sid))
    entry = next(e for e in catalog if e.msgctxt.endswith(":short"))
    entry.msgstr = "Hanover, the capital of Lower Saxony, or its region"
    resp = await env.client.post(
        "/console/translations/import", data=upload(csrf, "en", str(catalog)), headers=cookie(sid)
    )
    assert resp.status == 400
    html = await resp.text()
    assert "Nach dem Import wäre der Ablauf ungültig:" in html
    assert "Eine Kurzform hat höchstens 40 Zeichen, diese hat 51." in html
    assert "a short label" not in html
