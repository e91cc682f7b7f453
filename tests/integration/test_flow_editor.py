"""The admins' flow editor against the real app and store, on SQLite and PostgreSQL: drafts
with optimistic locking, validation shown by node/field and line:column, publishing and
rollback, conversations keeping their version, the preview that creates no case, and the
authorisation matrix over every editor route."""

from __future__ import annotations

import asyncio
import difflib
import re
from typing import Any

import pyotp
from sqlalchemy import func, select

from bot.console.flow_preview import CHANNEL as PREVIEW_CHANNEL
from bot.conversation.flows import publish_files
from storage import audit, cases, flow_drafts, stats, teams
from storage import flows as flow_versions
from storage.models import Contact
from tests.conftest import COUNSELLOR_PASSWORD
from tests.integration.test_console import Console_, hidden, session_of
from tests.integration.test_conversation import Person

OLD_DANGER = "Sind Sie jetzt in Gefahr?"
NEW_DANGER = "Sind Sie in diesem Moment in Gefahr?"
CANARY = "Kanarienvogel-flow-9b1"


async def last_text(person: Person, **fields: Any) -> str:
    """Send, then the text of the person's newest reply. The app's own delivery worker may
    be sending it at the same moment as the Person's (on PostgreSQL it then skips the locked
    row), so wait until it has arrived."""
    before = len(person.channel.to(person.address))
    await person.send(**fields)
    for _ in range(100):
        got = person.channel.to(person.address)
        if len(got) > before:
            return got[-1].text
        await asyncio.sleep(0.05)
    raise AssertionError("no reply arrived")


def cookie(sid: str) -> dict[str, str]:
    return {"Cookie": f"console={sid}"}


async def admin(env: Console_, name: str = "admin") -> tuple[str, str]:
    if name not in env.secrets:
        async with env.office.store.tx(env.clock()) as tx:
            cid = await teams.add_counsellor(
                tx,
                name,
                await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
                role="admin",
                teams={},
            )
            env.secrets[name] = pyotp.random_base32()
            await teams.set_totp_secret(tx, cid, env.secrets[name])
    return await session_of(env, name)


async def get(env: Console_, sid: str, path: str, status: int = 200) -> str:
    resp = await env.client.get(path, headers=cookie(sid), allow_redirects=False)
    text = await resp.text()
    assert resp.status == status, (path, resp.status, text[:2000])
    return text


async def post(
    env: Console_,
    sid: str,
    csrf: str,
    path: str,
    status: int = 303,
    fields: dict[str, str] | None = None,
    **data: str,
) -> Any:
    """Post a console form; `fields` for names that are no Python identifiers."""
    body = {"csrf": csrf, **(fields or {}), **data}
    resp = await env.client.post(path, data=body, headers=cookie(sid), allow_redirects=False)
    assert resp.status == status, (path, resp.status, (await resp.text())[:3000])
    return resp


def textarea(html: str, name: str) -> str:
    import html as html_lib

    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return html_lib.unescape(match.group(1))


async def new_draft(env: Console_, sid: str, csrf: str) -> tuple[str, int]:
    await post(env, sid, csrf, "/console/flows/mini/draft/new")
    page = await get(env, sid, "/console/flows/mini/draft")
    return textarea(page, "source"), int(hidden(page, "revision"))


async def test_edit_validate_publish_keep_running_conversations_and_roll_back(
    env: Console_,
) -> None:
    sid, csrf = await admin(env)
    assert "mini" in await get(env, sid, "/console/flows")
    source, revision = await new_draft(env, sid, csrf)
    assert revision == 1 and OLD_DANGER in source

    # A person starts before anything is published: they see the consent question.
    before = Person(env.office.store, env.channel)
    await last_text(before, command="start", language="de")

    # A changed question and a broken reference: saved, but shown as an error.
    broken = source.replace(OLD_DANGER, NEW_DANGER).replace("next: when", "next: whenn")
    await post(env, sid, csrf, "/console/flows/mini/draft/save", source=broken, revision="1")
    page = await get(env, sid, "/console/flows/mini/draft")
    line = broken.splitlines().index("    next: whenn") + 1
    assert f"Zeile {line}, Spalte 11" in page
    assert "Knoten danger, Feld next" in page and "Der Knoten „whenn“ ist unbekannt" in page
    assert 'id="cannot-publish"' in page
    nodes = await get(env, sid, "/console/flows/mini/draft/nodes")
    assert "Der Knoten „whenn“ ist unbekannt" in nodes
    node = await get(env, sid, "/console/flows/mini/draft/nodes/1")
    assert re.search(r"Weiter|next", node) and "Fehler:</strong> Der Knoten „whenn“" in node
    # The server refuses to publish it, whatever the page shows.
    await post(
        env, sid, csrf, "/console/flows/mini/draft/publish", 409, revision="2", note="kaputt"
    )
    async with env.office.store.read() as tx:
        assert [v.number for v in await flow_versions.versions(tx, "mini")] == [1]

    fixed = broken.replace("next: whenn", "next: when")
    await post(env, sid, csrf, "/console/flows/mini/draft/save", source=fixed, revision="2")
    assert 'id="valid"' in await get(env, sid, "/console/flows/mini/draft")
    # A change note is required.
    await post(env, sid, csrf, "/console/flows/mini/draft/publish", 409, revision="3", note=" ")
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/publish",
        revision="3",
        note=f"Gefahrfrage klarer {CANARY}",
    )
    async with env.office.store.read() as tx:
        versions = await flow_versions.versions(tx, "mini")
        assert await flow_drafts.get(tx, "mini") is None
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].published_by == "admin" and versions[0].source == fixed
    overview = await get(env, sid, "/console/flows/mini")
    assert "Version 2 (aktuell)" in overview and "Gefahrfrage klarer" in overview

    # The running conversation stays on version 1; a new one gets version 2.
    assert await last_text(before, choice="accept") == OLD_DANGER
    after = Person(env.office.store, env.channel)
    await last_text(after, command="start", language="de")
    assert await last_text(after, choice="accept") == NEW_DANGER

    # A restart publishes the shipped file only if the file itself changed: the console's
    # version 2 stays current.
    await publish_files(env.office.store, [env.office.flow_path], at_start=True)
    async with env.office.store.read() as tx:
        assert [v.number for v in await flow_versions.versions(tx, "mini")] == [2, 1]

    diff = await get(env, sid, "/console/flows/mini/diff?from=1&to=2")
    assert "1 Zeilen hinzugefügt (+), 1 Zeilen entfernt (\N{MINUS SIGN})" in diff
    assert re.search(r"entfernt</td>\s*<td><code>.*Sind Sie jetzt in Gefahr", diff)
    assert re.search(r"hinzugefügt</td>\s*<td><code>.*in diesem Moment", diff)
    # Node by node: the one changed field, before and after, and nothing else.
    by_node = diff[diff.index('id="node-changes"') : diff.index("<h2>Zeilen</h2>")]
    assert by_node.count("<h3>") == 1 and "</code>: geändert</h3>" in by_node
    assert re.search(
        r"<code>text\.de</code></th>\s*<td[^>]*>Sind Sie jetzt in Gefahr\?</td>\s*"
        r"<td[^>]*>Sind Sie in diesem Moment in Gefahr\?</td>",
        by_node,
    ), by_node

    unconfirmed = await post(env, sid, csrf, "/console/flows/mini/versions/1/rollback")
    assert "notice=unconfirmed" in unconfirmed.headers["Location"]
    async with env.office.store.read() as tx:
        assert [v.number for v in await flow_versions.versions(tx, "mini")] == [2, 1]
    await post(env, sid, csrf, "/console/flows/mini/versions/1/rollback", confirm="yes")
    async with env.office.store.read() as tx:
        versions = await flow_versions.versions(tx, "mini")
        entries = await audit.entries(tx)
    assert [v.number for v in versions] == [3, 2, 1]
    assert versions[0].note == "Rückkehr zu Version 1" and versions[0].source == source
    newest = Person(env.office.store, env.channel)
    await last_text(newest, command="start", language="de")
    assert await last_text(newest, choice="accept") == OLD_DANGER

    actions = [a for _, a, _, _ in entries]
    for action in ("flow.draft_created", "flow.draft_saved", "flow.published", "flow.rolled_back"):
        assert action in actions
    assert not any(CANARY in detail or NEW_DANGER in detail for *_, detail in entries)


async def test_a_second_save_of_the_same_revision_is_refused_and_keeps_the_text(
    env: Console_,
) -> None:
    sid1, csrf1 = await admin(env)
    sid2, csrf2 = await admin(env, "admin2")
    source, _ = await new_draft(env, sid1, csrf1)
    page2 = await get(env, sid2, "/console/flows/mini/draft")
    assert hidden(page2, "revision") == "1"
    mine = source.replace(OLD_DANGER, "Erste Änderung?")
    theirs = source.replace(OLD_DANGER, "Zweite Änderung?")
    await post(env, sid1, csrf1, "/console/flows/mini/draft/save", source=mine, revision="1")
    resp = await post(
        env, sid2, csrf2, "/console/flows/mini/draft/save", 409, source=theirs, revision="1"
    )
    html = await resp.text()
    assert "Jemand anderes hat diesen Entwurf inzwischen gespeichert (admin," in html
    assert textarea(html, "source") == theirs  # the second admin's text is kept in the form
    assert hidden(html, "revision") == "1"  # and saving it again is refused again
    async with env.office.store.read() as tx:
        draft = await flow_drafts.get(tx, "mini")
    assert draft is not None and draft.source == mine and draft.revision == 2
    # Publishing a revision one has not seen is refused as well.
    await post(env, sid2, csrf2, "/console/flows/mini/draft/publish", 409, revision="1", note="x")


async def test_structured_editor_changes_texts_next_and_crisis_words(env: Console_) -> None:
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    page = await get(env, sid, "/console/flows/mini/draft/nodes/3")  # municipality
    assert 'name="t:text:de"' in page and 'name="t:choices[0].label:en"' in page
    assert 'name="t:choices[1].label:*"' in page and 'name="n:choices[0].next"' in page
    assert 'lang="en"' in page
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/3",
        revision="1",
        fields={"t:text:de": "Wo genau ist es passiert?", "t:choices[0].label:en": "Hannover city"},
    )
    async with env.office.store.read() as tx:
        draft = await flow_drafts.get(tx, "mini")
    assert draft is not None and draft.revision == 2
    assert "Wo genau ist es passiert?" in draft.source and "Hannover city" in draft.source
    assert 'id="valid"' in await get(env, sid, "/console/flows/mini/draft")
    # A next node that does not exist cannot be chosen from the list, but a form naming a
    # field the node does not have is refused without saving.
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/3",
        400,
        revision="2",
        fields={"n:bogus": "x"},
    )
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/3",
        revision="2",
        fields={"n:next": "goodbye"},
    )
    crisis = await get(env, sid, "/console/flows/mini/draft/crisis")
    assert textarea(crisis, "w:de") == "umbringen\nnicht mehr leben"
    assert textarea(crisis, "m:en") == "If you are in danger: police 110, emergency 112."
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/crisis",
        revision="3",
        fields={"w:de": "umbringen\nnicht mehr leben\nsuizid*", "w:en": ""},
    )
    page = await get(env, sid, "/console/flows/mini/draft")
    assert "Es fehlen Krisenwörter für: en." in page and "suizid*" in textarea(page, "source")


async def test_publish_refused_for_an_unknown_team(env: Console_) -> None:
    sid, csrf = await admin(env)
    source, _ = await new_draft(env, sid, csrf)
    changed = source.replace("default: region", "default: nirgendwo")
    await post(env, sid, csrf, "/console/flows/mini/draft/save", source=changed, revision="1")
    resp = await post(
        env, sid, csrf, "/console/flows/mini/draft/publish", 409, revision="2", note="Team B"
    )
    html = await resp.text()
    assert "nirgendwo" in html
    assert textarea(html, "note") == "Team B"  # the admin's note is not lost


async def test_diagram_of_draft_and_versions(env: Console_) -> None:
    sid, csrf = await admin(env)
    source, _ = await new_draft(env, sid, csrf)
    page = await get(env, sid, "/console/flows/mini/diagram?version=1&lang=en")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram" role="img"' in page
    assert "Where did it happen?" in page and "nicht erreichbar" not in page.split("<svg")[1]
    unreachable = source.replace("on_decline: goodbye", "on_decline: handover")
    await post(env, sid, csrf, "/console/flows/mini/draft/save", source=unreachable, revision="1")
    page = await get(env, sid, "/console/flows/mini/diagram?version=draft")
    assert "⚠ nicht erreichbar" in page and 'class="flag">nicht erreichbar' in page


async def test_preview_plays_the_draft_and_creates_no_case_and_no_counter(
    env: Console_,
) -> None:
    sid, csrf = await admin(env)
    source, _ = await new_draft(env, sid, csrf)
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/save",
        source=source.replace(OLD_DANGER, NEW_DANGER),
        revision="1",
    )
    url = "/console/flows/mini/preview"
    page = await get(env, sid, url + "?lang=de")
    assert "Vorschau" in page and 'id="preview-banner"' in page
    # The real chat (chat.js) on the preview's own socket; these forms are its no-JS path.
    assert "chat.js" in page and 'data-ws="/console/flows/mini/preview/ws"' in page
    assert 'action="/console/flows/mini/preview#latest"' in page

    async def press(html: str, op: str, **extra: str) -> str:
        data = {
            "session": hidden(html, "session"),
            "mid": hidden(html, "mid"),
            "lang": "de",
            "at": hidden(html, "at"),
            "op": op,
            **extra,
        }
        resp = await env.client.post(url, data=data, headers=cookie(sid))
        text = await resp.text()
        assert resp.status == 200, text[:2000]
        return text

    page = await press(page, "start")
    page = await press(page, "choice:accept")
    assert NEW_DANGER in page
    page = await press(page, "choice:no")
    page = await press(page, "choice:this_week")
    page = await press(page, "choice:garbsen")
    page = await press(page, "send", text=f"Ein Vorfall {CANARY}")
    assert "Vorschau: hier würde der Fall an das Team „region“ übergeben" in page
    assert "VORS-CHAU-0000" in page
    async with env.office.store.read() as tx:
        assert await cases.queue(tx) == []
        assert await stats.table(tx) == []
        preview_contacts = await tx.session.scalar(
            select(func.count()).select_from(Contact).where(Contact.channel == PREVIEW_CHANNEL)
        )
    assert preview_contacts == 1
    # A case code cannot be used in a preview (it would move a real case into it).
    resp = await env.client.post(
        url,
        data={
            "session": hidden(page, "session"),
            "mid": hidden(page, "mid"),
            "lang": "de",
            "at": "",
            "op": "resume",
            "code": "AAAA-BBBB-CCCC",
        },
        headers=cookie(sid),
    )
    assert resp.status == 400


async def test_preview_of_an_invalid_draft_is_refused(env: Console_) -> None:
    sid, csrf = await admin(env)
    source, _ = await new_draft(env, sid, csrf)
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/save",
        source=source.replace("next: when", "next: nowhere"),
        revision="1",
    )
    assert "Vorschau nicht möglich" in await get(
        env, sid, "/console/flows/mini/preview?lang=de", 409
    )


# ---------------------------------------------------------------- authorisation matrix

EDITOR_GETS = [
    "/console/flows",
    "/console/flows/mini",
    "/console/flows/mini/draft",
    "/console/flows/mini/draft/nodes",
    "/console/flows/mini/draft/nodes/0",
    "/console/flows/mini/draft/crisis",
    "/console/flows/mini/diagram",
    "/console/flows/mini/diff",
    "/console/flows/mini/preview?lang=de",
]
EDITOR_POSTS = [
    "/console/flows/mini/draft/new",
    "/console/flows/mini/draft/save",
    "/console/flows/mini/draft/nodes/0",
    "/console/flows/mini/draft/crisis",
    "/console/flows/mini/draft/publish",
    "/console/flows/mini/draft/discard",
    "/console/flows/mini/versions/1/rollback",
    "/console/flows/mini/preview",
]


async def test_authorisation_matrix_over_every_editor_route(env: Console_) -> None:
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    who: dict[str, tuple[str, str] | None] = {
        "anonymous": None,
        "berater-region": await session_of(env, "berater-region"),
        "berater-stadt": await session_of(env, "berater-stadt"),
    }
    checked = 0
    for name, ident in who.items():
        headers = {} if ident is None else cookie(ident[0])
        for path in EDITOR_GETS:
            resp = await env.client.get(path, headers=headers, allow_redirects=False)
            checked += 1
            if ident is None:
                assert resp.status == 303, (name, path)
                assert resp.headers["Location"] == "/console/login"
            else:
                assert resp.status == 403, (name, path)
        for path in EDITOR_POSTS:
            data = {"csrf": "" if ident is None else ident[1], "revision": "1", "note": "x"}
            resp = await env.client.post(path, data=data, headers=headers, allow_redirects=False)
            checked += 1
            assert resp.status == 403, (name, path, resp.status)
        nav = await env.client.get("/console", headers=headers, allow_redirects=False)
        if ident is not None:
            assert "/console/flows" not in await nav.text()
    assert checked == 3 * (len(EDITOR_GETS) + len(EDITOR_POSTS))
    async with env.office.store.read() as tx:
        draft = await flow_drafts.get(tx, "mini")
        assert [v.number for v in await flow_versions.versions(tx, "mini")] == [1]
    assert draft is not None and draft.revision == 1
    # The admin reaches every page; a missing CSRF token is refused for the admin too.
    for path in EDITOR_GETS:
        await get(env, sid, path)
    assert "/console/flows" in await get(env, sid, "/console")
    for path in EDITOR_POSTS:
        resp = await env.client.post(
            path, data={"revision": "1"}, headers=cookie(sid), allow_redirects=False
        )
        assert resp.status in (400, 403), path


def changed_lines(old: str, new: str) -> list[str]:
    """The removed and added lines between two sources, as a review shows them."""
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


async def test_one_text_changed_in_the_node_editor_is_one_changed_line(env: Console_) -> None:
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    async with env.office.store.read() as tx:
        before = await flow_drafts.get(tx, "mini")
    assert before is not None and before.source.startswith("# A small flow")
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/1",  # danger: the rest of the form as it was
        revision="1",
        fields={"t:text:de": "Sind Sie gerade jetzt in Gefahr?", "t:text:en": "Are you in danger?"},
    )
    async with env.office.store.read() as tx:
        after = await flow_drafts.get(tx, "mini")
    assert after is not None
    changed = changed_lines(before.source, after.source)
    # The flow-style text mapping keeps its style; comments and every other line stay.
    assert changed == [
        '-    text: {de: "Sind Sie jetzt in Gefahr?", en: "Are you in danger right now?"}',
        '+    text: {de: "Sind Sie gerade jetzt in Gefahr?", en: "Are you in danger?"}',
    ]
    # A changed crisis word is the lines of that word list only.
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/crisis",
        revision="2",
        fields={"w:de": "umbringen\nnicht mehr leben\nsuizid*"},
    )
    async with env.office.store.read() as tx:
        crisis = await flow_drafts.get(tx, "mini")
    assert crisis is not None and crisis.source.startswith("# A small flow")
    diff = changed_lines(after.source, crisis.source)
    assert len(diff) == 2 and "suizid*" in diff[1], diff


async def test_an_emptied_question_is_shown_as_an_error_and_cannot_be_published(
    env: Console_,
) -> None:
    """The admin clears the German text of the danger question by mistake: the draft is
    kept, the page names the empty text, and no person ever gets an empty question."""
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/1",  # danger
        revision="1",
        fields={"t:text:de": "   "},
    )
    page = await get(env, sid, "/console/flows/mini/draft")
    assert "Der Text für „de“ ist leer" in page
    assert 'id="valid"' not in page
    resp = await post(
        env, sid, csrf, "/console/flows/mini/draft/publish", 409, revision="2", note="Leer"
    )
    assert "Der Text für „de“ ist leer" in await resp.text()


async def test_structure_errors_are_worded_in_german(env: Console_) -> None:
    """A misspelt field and a word where a number belongs: the admin reads German beside
    the line, not the reader's English (which only the command line shows)."""
    sid, csrf = await admin(env)
    source, _ = await new_draft(env, sid, csrf)
    broken = source.replace("    max_length: 500\n", "    max_length: viele\n    colour: rot\n")
    await post(env, sid, csrf, "/console/flows/mini/draft/save", source=broken, revision="1")
    page = await get(env, sid, "/console/flows/mini/draft")
    assert "Einen Eintrag „colour“ gibt es hier nicht (in nodes[4])" in page
    assert "Ungültiger Wert bei nodes[4].max_length" in page
    assert "unknown key" not in page
    assert 'id="cannot-publish"' in page


async def test_a_handover_to_a_missing_team_is_refused_in_german(env: Console_) -> None:
    sid, csrf = await admin(env)
    source, _ = await new_draft(env, sid, csrf)
    broken = source.replace("default: region}", "default: nirgends}")
    assert broken != source
    await post(env, sid, csrf, "/console/flows/mini/draft/save", source=broken, revision="1")
    resp = await post(
        env, sid, csrf, "/console/flows/mini/draft/publish", 409, revision="2", note="Team"
    )
    page = await resp.text()
    assert (
        "Nicht veröffentlicht: Der Knoten „handover“ übergibt an das Team „nirgends“, "
        "das es nicht gibt." in page
    )
    assert "does not exist" not in page


async def test_a_changed_source_text_marks_its_translations_outdated(env: Console_) -> None:
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    page = await get(env, sid, "/console/flows/mini/draft/nodes/3")
    assert "veraltet" not in page
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/3",
        revision="1",
        fields={"t:text:de": "Wo genau ist es passiert?"},
    )
    page = await get(env, sid, "/console/flows/mini/draft/nodes/3")
    # The English question was made from the old German one: said beside its field.
    label = re.search(r'<label for="t-2-text">([^<]*)(<strong[^>]*>([^<]*)</strong>)?', page)
    assert label and label.group(1).startswith("Text (Englisch)") and label.group(3) == "veraltet"
    assert page.count(">veraltet<") == 1  # the choices' labels did not change
    # Translated anew, it is up to date again.
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/3",
        revision="2",
        fields={"t:text:en": "Where exactly did it happen?"},
    )
    assert ">veraltet<" not in await get(env, sid, "/console/flows/mini/draft/nodes/3")


async def test_publishing_with_outdated_translations_says_so_and_asks_first(
    env: Console_,
) -> None:
    """An admin changed a German question in the node editor: the English text is now
    outdated. Publishing says how many texts in which languages, links the translations,
    and publishes only once the admin ticks that they want to anyway."""
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/3",
        revision="1",
        fields={"t:text:de": "Wo genau ist es passiert?"},
    )
    page = await get(env, sid, "/console/flows/mini/draft")
    warning = page[page.index('id="translation-warning"') :]
    assert "1 Text in 1 Sprache ist veraltet." in warning
    assert "Personen in diesen Sprachen sehen nach dem Veröffentlichen den alten Text" in warning
    assert "<li>Englisch: 1 veraltet</li>" in warning
    assert 'href="/console/translations"' in warning
    assert re.search(r'<input type="checkbox" name="outdated_ok" value="yes" required', page)
    # Without the tick (a browser's `required` aside) nothing is published.
    resp = await post(
        env, sid, csrf, "/console/flows/mini/draft/publish", 409, revision="2", note="Ort"
    )
    refused = await resp.text()
    assert "Nicht veröffentlicht." in refused and "1 Text in 1 Sprache ist veraltet." in refused
    async with env.office.store.read() as tx:
        assert [v.number for v in await flow_versions.versions(tx, "mini")] == [1]
    # An urgent German fix need not wait for the translator.
    await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/publish",
        revision="2",
        note="Ort genauer",
        outdated_ok="yes",
    )
    async with env.office.store.read() as tx:
        assert [v.number for v in await flow_versions.versions(tx, "mini")] == [2, 1]


async def test_a_draft_without_translation_gaps_publishes_without_the_question(
    env: Console_,
) -> None:
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    page = await get(env, sid, "/console/flows/mini/draft")
    assert 'id="translation-warning"' not in page and 'name="outdated_ok"' not in page
    await post(env, sid, csrf, "/console/flows/mini/draft/publish", revision="1", note="gleich")


async def test_preview_and_publish_are_offered_wherever_the_draft_is_shown(
    env: Console_,
) -> None:
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    for path in (
        "/console/flows/mini",
        "/console/flows/mini/draft/nodes",
        "/console/flows/mini/draft/nodes/4",
    ):
        page = await get(env, sid, path)
        actions = page[page.index('id="draft-actions"') :]
        assert 'href="/console/flows/mini/preview?lang=de">Deutsch' in actions, path
        assert 'href="/console/flows/mini/preview?lang=en">Englisch' in actions, path
        assert (
            '<a href="/console/flows/mini/draft#publish">Zum Veröffentlichen (mit Änderungsnotiz)'
            in actions
        ), path
    assert 'id="publish"' in await get(env, sid, "/console/flows/mini/draft")


async def test_discarding_a_draft_asks_first_and_says_what_is_lost(env: Console_) -> None:
    sid, csrf = await admin(env)
    source, _ = await new_draft(env, sid, csrf)
    for revision, text in (("1", "Wo genau?"), ("2", "Wo genau ist es passiert?")):
        await post(
            env,
            sid,
            csrf,
            "/console/flows/mini/draft/save",
            source=source.replace("Wo ist es passiert?", text),
            revision=revision,
        )
    page = await get(env, sid, "/console/flows/mini/draft")
    assert "Verloren gehen 2 gespeicherte Änderungen (Revisionen 2 bis 3" in page
    assert re.search(r'<input type="checkbox" name="confirm" value="yes" required', page)
    # Unticked: nothing is discarded, and the page says why.
    resp = await post(env, sid, csrf, "/console/flows/mini/draft/discard", revision="3")
    assert resp.headers["Location"].startswith("/console/flows/mini/draft?notice=keep")
    async with env.office.store.read() as tx:
        assert (await flow_drafts.get(tx, "mini")) is not None
    again = await get(env, sid, "/console/flows/mini/draft?notice=keep")
    assert 'role="alert">Nichts verworfen' in again
    resp = await post(
        env, sid, csrf, "/console/flows/mini/draft/discard", revision="3", confirm="yes"
    )
    assert resp.headers["Location"] == "/console/flows/mini?notice=discarded"
    async with env.office.store.read() as tx:
        assert (await flow_drafts.get(tx, "mini")) is None


async def test_saving_an_emptied_text_in_the_node_editor_is_said_as_an_error(
    env: Console_,
) -> None:
    """Found in an admin walk-through: a green "gespeichert" and nothing announced."""
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    resp = await post(
        env,
        sid,
        csrf,
        "/console/flows/mini/draft/nodes/4",  # account
        revision="1",
        fields={"t:text:de": ""},
    )
    page = await get(env, sid, resp.headers["Location"])
    assert "Der Entwurf ist gespeichert." not in page
    summary = re.search(r'<div class="error" role="alert" id="save-errors">(.*?)</div>', page, re.S)
    assert summary and "Gespeichert, aber mit 1 Fehler an diesem Knoten." in summary.group(1)
    assert "Der Text für „de“ ist leer" in summary.group(1)
    german = re.search(r'<textarea id="t-1-text"[^>]*>', page)
    assert german, page
    assert 'aria-invalid="true"' in german.group(0) and "autofocus" in german.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', german.group(0))
    assert described and f'<p class="field-error" id="{described.group(1)}">' in page
    english = re.search(r'<textarea id="t-2-text"[^>]*>', page)
    assert english and "aria-invalid" not in english.group(0)
    # Without the save just done, the page opens without the alert (the field stays marked).
    plain = await get(env, sid, "/console/flows/mini/draft/nodes/4")
    assert 'id="save-errors"' not in plain and "autofocus" not in plain


async def test_the_node_editor_speaks_german(env: Console_) -> None:
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    page = await get(env, sid, "/console/flows/mini/draft/nodes/4")
    assert "<h1>Knoten account (Freitext)</h1>" in page
    assert re.search(r'<label for="n-next">Weiter zu</label>', page)
    consent = await get(env, sid, "/console/flows/mini/draft/nodes/0")
    assert "<h1>Knoten consent (Einwilligung)</h1>" in consent
    assert ">Weiter nach „Ablehnen“</label>" in consent
    nodes = await get(env, sid, "/console/flows/mini/draft/nodes")
    assert "<td>Krisenfrage</td>" in nodes and "<td>crisis_check</td>" not in nodes
    when = await get(env, sid, "/console/flows/mini/draft/nodes/2")
    assert "<legend>Antwort „Länger her“ (longer_ago)</legend>" in when
