"""Verwaltung → Einstellungen against the real app, on SQLite and PostgreSQL: values saved in
the browser are checked like the settings file, take effect without a restart (office hours
at handover, the web chat's embedding sites, the retention sweep), can be reset to the file,
and every save and reset is in the audit log."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import run_housekeeping
from bot.channels.base import InboundMessage, OutboundMessage
from bot.keys import SERVICE
from storage import audit, cases, office_settings
from tests.integration.test_console import (
    Console_,
    _id_of,
    _page,
    _post,
    intake,
    session_of,
)

WEDNESDAY_1PM = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 13:00 in Hannover
PARTNER = "https://partner.example"
_ids = itertools.count(1)
MONDAY_ONLY = {
    "monday": "09:00-16:00",
    "tuesday": "",
    "wednesday": "",
    "thursday": "",
    "friday": "",
    "saturday": "",
    "sunday": "",
    "public_holidays": "niedersachsen",
    "extra_holidays": "2026-12-24..2027-01-01",
}


def _app(env: Console_) -> web.Application:
    app = env.client.app
    assert app is not None
    return app


async def _refused(env: Console_, ident: tuple[str, str], path: str, **fields: Any) -> str:
    resp = await env.client.post(
        path,
        data={"csrf": ident[1], **fields},
        headers={"Cookie": f"console={ident[0]}"},
        allow_redirects=False,
    )
    assert resp.status == 400, await resp.text()
    return await resp.text()


async def _stored(env: Console_) -> dict[str, Any]:
    async with env.office.store.read() as tx:
        return {k: v.value for k, v in (await office_settings.all_settings(tx)).items()}


async def _audit(env: Console_) -> list[tuple[str, str, int | None, str]]:
    async with env.office.store.read() as tx:
        return [e for e in await audit.entries(tx) if e[1].startswith("settings.")]


async def _handover(env: Console_) -> OutboundMessage:
    """Run an intake through the app's own conversation service; the handover reply as the
    app's delivery worker sends it."""
    service = _app(env)[SERVICE]
    address = f"settings-{next(_ids)}"
    steps: list[dict[str, Any]] = [
        {"command": "start", "language": "de"},
        {"choice": "accept"},
        {"choice": "no"},
        {"choice": "this_week"},
        {"choice": "garbsen"},
        {"text": "Man hat mir die Wohnung nicht gegeben."},
    ]
    for fields in steps:
        msg = InboundMessage(env.channel.name, address, f"s{next(_ids)}", **fields)
        handled = await service.handle(msg)
    assert handled.owner == "queued"
    for _ in range(200):
        done = [m for m in env.channel.to(address) if m.case_code is not None]
        if done:
            return done[-1]
        await asyncio.sleep(0.02)
    raise AssertionError("no handover reply was delivered")


async def test_saved_hours_change_what_the_bot_says_without_a_restart(env: Console_) -> None:
    admin = await session_of(env, "admin")
    env.clock.set(WEDNESDAY_1PM)
    # The file's hours: Wednesday 9-16, open.
    assert "geschlossen" not in (await _handover(env)).text
    where = await _post(env, admin, "/console/office/settings/office_hours", **MONDAY_ONLY)
    assert where == "/console/office/settings?notice=saved#hours-h"
    handover = await _handover(env)
    assert (
        "Das Büro ist gerade geschlossen. Es ist wieder geöffnet am Montag, 30. November, "
        "ab 09:00 Uhr." in handover.text
    )
    stored = await _stored(env)
    assert stored["office_hours"]["wednesday"] == []
    assert stored["office_hours"]["extra_holidays"] == ["2026-12-24..2027-01-01"]
    status, html = await _page(env, admin, "/console/office/settings")
    assert status == 200
    assert 'id="office_hours-source">Quelle: hier in der Konsole gespeichert von admin' in html
    assert 'id="retention_days-source">Quelle: Einstellungsdatei.' in html
    assert 'value="09:00-16:00"' in html and "2026-12-24..2027-01-01</textarea>" in html
    # Back to the settings file: open again on Wednesday.
    assert "notice=reset" in await _post(env, admin, "/console/office/settings/office_hours/reset")
    assert "geschlossen" not in (await _handover(env)).text
    assert await _stored(env) == {}
    assert "notice=unchanged" in await _post(
        env, admin, "/console/office/settings/office_hours/reset"
    )
    async with env.office.store.read() as tx:
        admin_id = await _id_of(tx, "admin")
    assert await _audit(env) == [
        (f"counsellor:{admin_id}", "settings.reset", None, "office_hours"),
        (f"counsellor:{admin_id}", "settings.changed", None, "office_hours"),
    ]


async def test_an_invalid_value_is_refused_beside_its_field_and_nothing_is_stored(
    env: Console_,
) -> None:
    admin = await session_of(env, "admin")
    html = await _refused(
        env,
        admin,
        "/console/office/settings/office_hours",
        **{**MONDAY_ONLY, "tuesday": "9-13", "extra_holidays": "2026-12-24\n2026-13-01"},
    )
    assert (
        '<p class="field-error" id="err-tuesday"><strong>Fehler:</strong> '
        "„9-13“ ist keine Zeitspanne wie 09:00-13:00.</p>" in html
    )
    assert (
        'name="tuesday" type="text" autocomplete="off" value="9-13" '
        'aria-describedby="hours-hint err-tuesday" aria-invalid="true"' in html
    )
    assert "„2026-13-01“ ist kein Datum wie 2026-12-24" in html
    assert "2026-12-24\n2026-13-01</textarea>" in html  # the admin's input is kept
    assert "<title>Fehler: Einstellungen" in html
    closed = {**MONDAY_ONLY, "monday": ""}
    html = await _refused(env, admin, "/console/office/settings/office_hours", **closed)
    assert 'id="err-week"' in html and "mindestens einem Wochentag" in html
    html = await _refused(
        env,
        admin,
        "/console/office/settings/allowed_origins",
        allowed_origins=f"{PARTNER}\n\nhttps://x.example/pfad",
    )
    assert "Zeile 3: „https://x.example/pfad“ ist keine Adresse" in html
    html = await _refused(
        env, admin, "/console/office/settings/retention_days", retention_days="-1"
    )
    assert "nicht kleiner als 0" in html and 'value="-1"' in html
    html = await _refused(
        env, admin, "/console/office/settings/retention_days", retention_days="neunzig"
    )
    assert "ganze Zahl" in html
    assert await _stored(env) == {}
    assert await _audit(env) == []


async def _ws_status(env: Console_, origin: str) -> int:
    try:
        ws = await env.client.ws_connect("/chat/ws", headers={"Origin": origin})
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    await ws.close()
    return 101


async def test_an_embedding_site_saved_in_the_browser_may_open_the_web_chat(
    env: Console_,
) -> None:
    admin = await session_of(env, "admin")
    assert await _ws_status(env, PARTNER) == 403
    saved = await _post(
        env,
        admin,
        "/console/office/settings/allowed_origins",
        allowed_origins=f"{PARTNER}/\n{PARTNER}\n",
    )
    assert "notice=saved" in saved
    assert (await _stored(env))["allowed_origins"] == [PARTNER]
    assert await _ws_status(env, PARTNER) == 101
    page = await env.client.get("/chat")
    assert f"frame-ancestors 'self' {PARTNER}" in page.headers["Content-Security-Policy"]
    # Removed again: refused, and no longer allowed to frame the chat.
    await _post(env, admin, "/console/office/settings/allowed_origins", allowed_origins="")
    assert await _ws_status(env, PARTNER) == 403
    page = await env.client.get("/chat")
    assert page.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")


async def test_retention_zero_in_the_browser_shreds_a_closed_case(env: Console_) -> None:
    admin = await session_of(env, "admin")
    _, case_id = await intake(env.office, env.channel)
    async with env.office.store.tx(env.clock()) as tx:
        region = await _id_of(tx, "berater-region")
        assert await cases.claim(tx, case_id, region)
        assert await cases.close(tx, case_id, region)
    app = _app(env)
    later = env.clock() + timedelta(minutes=5)
    assert (await run_housekeeping(app, later)).deleted_cases == 0  # the file's 90 days
    await _post(env, admin, "/console/office/settings/retention_days", retention_days="0")
    assert (await run_housekeeping(app, later)).deleted_cases == 1
    async with env.office.store.read() as tx:
        assert await cases.entry(tx, case_id) is None


async def test_only_admins_reach_the_settings_pages(env: Console_) -> None:
    counsellor = await session_of(env, "berater-region")
    admin = await session_of(env, "admin")
    assert (await _page(env, counsellor, "/console/office/settings"))[0] == 403
    anonymous = await env.client.get("/console/office/settings", allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"] == "/console/login"
    for key in ("office_hours", "allowed_origins", "retention_days"):
        for path in (f"/console/office/settings/{key}", f"/console/office/settings/{key}/reset"):
            fields = {**MONDAY_ONLY, "allowed_origins": PARTNER, "retention_days": "0"}
            as_counsellor = await env.client.post(
                path,
                data={"csrf": counsellor[1], **fields},
                headers={"Cookie": f"console={counsellor[0]}"},
                allow_redirects=False,
            )
            assert as_counsellor.status == 403, path
            assert (await env.client.post(path, allow_redirects=False)).status == 403, path
            # An admin's session without the form's CSRF token changes nothing either.
            forged = await env.client.post(
                path,
                data={"csrf": "forged", **fields},
                headers={"Cookie": f"console={admin[0]}"},
                allow_redirects=False,
            )
            assert forged.status == 403, path
    assert (await _page(env, admin, "/console/office/settings/nothing"))[0] in (404, 405)
    assert await _stored(env) == {}
    assert await _audit(env) == []


async def test_the_settings_page_names_the_missing_legal_pages(env: Console_) -> None:
    admin = await session_of(env, "admin")
    status, html = await _page(env, admin, "/console/office/settings")
    assert status == 200
    gaps = re.search(r'<ul id="legal-gaps">(.*?)</ul>', html, re.S)
    assert gaps is not None
    items = [re.sub(r"<[^>]+>", "", i).strip() for i in re.findall(r"<li>(.*?)</li>", gaps[1])]
    assert items == [
        "Datenschutzerklärung der Beratungsstelle: "
        "Einstellung legal.privacy_url or legal.privacy_text",
        "Impressum der Beratungsstelle: Einstellung legal.imprint_url or legal.imprint_text",
        "Kontakt für Meldungen zur Barrierefreiheit (E-Mail-Adresse oder Webadresse): "
        "Einstellung webchat.accessibility_contact",
        "Telefon, E-Mail, Webadresse oder Anschrift der Beratungsstelle für Menschen, die dem "
        "Chat nicht zustimmen: Einstellung office_contact.phone, .email, .web_url or .address",
    ]


async def test_every_console_page_links_privacy_imprint_and_its_accessibility_statement(
    env: Console_,
) -> None:
    admin = await session_of(env, "admin")
    for path in ("/console", "/console/office/settings"):
        _, html = await _page(env, admin, path)
        assert '<a id="privacy-link" href="/chat/privacy?lang=de">' in html
        assert '<a id="imprint-link" href="/chat/imprint?lang=de">' in html
        assert '<a id="accessibility-link" href="/console/accessibility">' in html
    login = await env.client.get("/console/login")
    assert 'href="/console/accessibility"' in await login.text()
    # Public, so a barrier at the login can be reported; without a contact it says so.
    statement = await env.client.get("/console/accessibility")
    assert statement.status == 200
    text = await statement.text()
    assert "Erklärung zur Barrierefreiheit der Beratungskonsole" in text
    assert 'id="feedback-contact-missing"' in text and "example.org" not in text
