"""Outreach material and where people come from: an admin makes a flyer for a place (a
source tag) in the chosen languages; its web chat link opens the chat, and a chat started by
it counts once under the tag in the anonymous statistics (with and without JavaScript).
Real app and store, SQLite and PostgreSQL."""

from __future__ import annotations

import re

from bot.office.flyer_texts import flyer_text
from storage import stats
from tests.conftest import Office
from tests.integration.test_console import Console_, _page, session_of
from tests.integration.test_webchat_pages import Client, client, get_page, submit  # noqa: F401


async def test_an_admin_makes_a_flyer_per_place_and_language(env: Console_) -> None:
    admin = await session_of(env, "admin")
    status, form = await _page(env, admin, "/console/outreach")
    assert status == 200 and 'name="tag"' in form and "nicht geprüft" in form

    url = "/console/outreach/flyer?tag=moschee-linden&format=a4&lang=de&lang=tr&lang=ar"
    status, flyer = await _page(env, admin, url)
    assert status == 200, flyer
    assert flyer.count('<article class="sheet"') == 3
    assert 'class="flyer-a4"' in flyer
    assert flyer_text("tr").title in flyer and flyer_text("ar").title in flyer
    assert 'lang="ar" dir="rtl"' in flyer
    links = re.findall(r'<span class="url" dir="ltr">([^<]+)</span>', flyer)
    assert [link.split("/chat?")[1] for link in links] == [
        "src=moschee-linden&amp;lang=de",
        "src=moschee-linden&amp;lang=tr",
        "src=moschee-linden&amp;lang=ar",
    ]
    assert flyer.count("<svg") == 3  # one QR code each; no Telegram here, so no second one
    assert "t.me/" not in flyer
    assert re.search(r"Mo\.\W+(Do|Fr)\.: \d\d:\d\d", flyer), "the office hours, by CLDR"


async def test_a_flyer_needs_a_valid_place_and_a_language_and_an_admin(env: Console_) -> None:
    admin = await session_of(env, "admin")
    for query, message in [
        ("tag=Moschee Linden&lang=de", "1 bis 32 Buchstaben"),
        ("tag=&lang=de", "1 bis 32 Buchstaben"),
        ("tag=linden&format=a6", "mindestens eine Sprache"),
        ("tag=linden&format=a3&lang=de", "mindestens eine Sprache"),
    ]:
        status, page = await _page(env, admin, f"/console/outreach/flyer?{query}")
        assert status == 400 and message in page and 'role="alert"' in page, query
    counsellor = await session_of(env, "berater-region")
    status, _ = await _page(env, counsellor, "/console/outreach/flyer?tag=x&lang=de")
    assert status == 403


async def test_a_chat_opened_by_a_flyer_link_counts_once_under_its_place(
    client: Client,  # noqa: F811
    office: Office,
) -> None:
    page = await get_page(client, "/chat?src=jobcenter-garbsen&lang=de")
    assert page.answer.fields["src"] == "jobcenter-garbsen"
    await submit(client, page.answer, "start")
    await submit(client, page.answer, "start")  # sent twice (a reload): one chat, one count
    mangled = await get_page(client, "/chat?src=<script>")
    assert "src" not in mangled.answer.fields
    await submit(client, mangled.answer, "start")
    async with office.store.read() as tx:
        rows = await stats.table(tx)
    assert [(r.dimension, r.value, r.count) for r in rows] == [("source", "jobcenter-garbsen", 1)]
