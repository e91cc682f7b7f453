"""The case at a glance: the AGG deadline states and the counsellor's date correction, the
confirmations before a case is handed away or closed, the queue's notices and the transcript
without empty lines. Against the real app and store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from bot.channels.base import OutboundMessage
from storage import audit, cases
from tests.integration.test_console import (
    CANARY,
    Console_,
    _page,
    _post,
    intake,
    session_of,
)
from tests.integration.test_conversation import Person


def _queue_order(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/console/cases/(\d+)"', html)]


def _deadline(html: str) -> str:
    match = re.search(r'id="deadline">([^<]*)<', html)
    assert match, "no deadline on the case page"
    return match.group(1).strip()


async def test_four_deadline_states_are_told_apart(env: Console_) -> None:
    office, channel = env.office, env.channel
    _, recent = await intake(office, channel, when="this_week")
    _, unknown = await intake(office, channel, when="not_sure")
    _, expired = await intake(office, channel, when="this_week")
    today = env.clock().date()
    async with office.store.tx(env.clock()) as tx:
        await cases.correct_incident_date(tx, expired, today - timedelta(days=70))
    me = await session_of(env, "berater-region")
    _, queue = await _page(env, me, "/console")
    assert "Datum unbekannt" in queue and "abgelaufen seit" in queue and "noch " in queue
    _, page = await _page(env, me, f"/console/cases/{recent}")
    assert _deadline(page).startswith("noch ")
    _, page = await _page(env, me, f"/console/cases/{unknown}")
    assert _deadline(page) == "Datum unbekannt"
    _, page = await _page(env, me, f"/console/cases/{expired}")
    assert re.fullmatch(r"abgelaufen seit \d+ Tagen", _deadline(page))


async def test_a_deadline_two_weeks_away_stands_out_in_the_queue(env: Console_) -> None:
    """ "noch 11 Tage" must not look like "noch 56 Tage": a claim letter, an appointment and
    the person's decision take about two weeks."""
    office, channel = env.office, env.channel
    _, calm = await intake(office, channel, when="this_week")
    _, near = await intake(office, channel, when="this_week")
    today = env.clock().date()
    async with office.store.tx(env.clock()) as tx:
        await cases.correct_incident_date(tx, near, today - timedelta(days=50))
    me = await session_of(env, "berater-region")
    _, queue = await _page(env, me, "/console")
    cells = dict(
        re.findall(r'href="/console/cases/(\d+)">.*?<td class="deadline ([^"]*)"', queue, re.S)
    )
    assert cells == {str(near): "open soon", str(calm): "open"}
    assert queue.count('<span class="badge soon-badge">bald</span>') == 1
    _, page = await _page(env, me, f"/console/cases/{near}")
    assert 'class="deadline open soon" id="deadline"' in page and "Die Frist endet bald." in page


async def test_a_corrected_incident_date_moves_the_case_and_is_audited_without_it(
    env: Console_,
) -> None:
    office, channel = env.office, env.channel
    _, first = await intake(office, channel, when="not_sure")
    _, second = await intake(office, channel, when="this_month")
    me = await session_of(env, "berater-region")
    _, queue = await _page(env, me, "/console")
    assert _queue_order(queue) == [second, first]  # an unknown date counts last

    day = env.clock().date() - timedelta(days=40)  # older than "this month"
    where = await _post(env, me, f"/console/cases/{first}/incident", incident_date=day.isoformat())
    assert where == f"/console/cases/{first}?notice=incident#status"
    _, page = await _page(env, me, where)
    assert "Das Datum des Vorfalls ist berichtigt" in page
    assert re.fullmatch(r"noch \d+ Tage", _deadline(page))
    assert day.strftime("%d.%m.%Y") in page
    _, queue = await _page(env, me, "/console")
    assert _queue_order(queue) == [first, second]  # fewer days left: now ahead

    async with office.store.read() as tx:
        logged = [e for e in await audit.entries(tx) if e[1] == "case.incident_corrected"]
        assert (await cases.entry(tx, first)).incident_date == day  # type: ignore[union-attr]
    assert len(logged) == 1 and logged[0][2] == first
    assert day.isoformat() not in repr(logged) and str(day.day) not in logged[0][3]

    # A date in the future is refused; the case keeps the corrected one.
    future = (env.clock().date() + timedelta(days=3)).isoformat()
    where = await _post(env, me, f"/console/cases/{first}/incident", incident_date=future)
    assert "notice=incident_invalid" in where
    async with office.store.read() as tx:
        assert (await cases.entry(tx, first)).incident_date == day  # type: ignore[union-attr]


async def test_release_transfer_and_close_ask_first_and_the_queue_says_what_happened(
    env: Console_,
) -> None:
    _, case_id = await intake(env.office, env.channel)
    me = await session_of(env, "berater-region")
    url = f"/console/cases/{case_id}"
    assert "notice=claimed" in await _post(env, me, f"{url}/claim")
    _, page = await _page(env, me, url)
    for form in ("confirm-release", "confirm-transfer", "confirm-close"):
        assert re.search(rf'type="checkbox" name="confirm" value="yes" required id="{form}"', page)

    # Without the tick nothing happens (a browser without the required check, a stray post).
    for action, fields in (
        ("release", {}),
        ("transfer", {"to": "team:stadt"}),
        ("close", {"outcome": "resolved"}),
    ):
        resp = await env.client.post(
            f"{url}/{action}",
            data={"csrf": me[1], **fields},
            headers={"Cookie": f"console={me[0]}"},
            allow_redirects=False,
        )
        assert resp.headers["Location"] == f"{url}?notice=unconfirmed#status"
        async with env.office.store.read() as tx:
            entry = await cases.entry(tx, case_id)
        assert entry is not None and entry.status == "claimed" and entry.team_id == "region"
    _, page = await _page(env, me, f"{url}?notice=unconfirmed")
    assert "Bitte bestätigen Sie" in page

    assert await _post(env, me, f"{url}/release", confirm="yes") == "/console?notice=released"
    _, queue = await _page(env, me, "/console?notice=released")
    assert re.search(r'role="status"[^>]*>Der Fall ist zurück in der Warteschlange', queue)
    await _post(env, me, f"{url}/claim")
    assert await _post(env, me, f"{url}/close", outcome="resolved") == "/console?notice=closed"
    _, queue = await _page(env, me, "/console?notice=closed")
    assert re.search(r'role="status"[^>]*>Der Fall ist abgeschlossen', queue)
    _, queue = await _page(env, me, "/console?notice=<b>erfunden</b>")
    assert "erfunden" not in queue and 'role="status" id="status"' not in queue


async def test_the_transcript_leaves_out_empty_person_lines_and_names_the_language(
    env: Console_,
) -> None:
    person = Person(env.office.store, env.channel)
    await person.send(command="start", language="de")
    await person.send(choice="accept")
    await person.send(choice="no")
    await person.send(choice="this_week")
    await person.send(choice="garbsen")
    await person.send(text=f"Es war im Laden {CANARY}")
    assert person.last is not None and person.last.case is not None
    me = await session_of(env, "berater-region")
    _, page = await _page(env, me, f"/console/cases/{person.last.case.case_id}")
    person_lines = re.findall(
        r'<li class="line person">.*?<p class="text">(.*?)</p>', page, flags=re.S
    )
    assert person_lines and all(text.strip() for text in person_lines)
    assert CANARY in person_lines[-1]
    assert re.search(
        r'id="language">Deutsch <span class="muted">Bitte antworten Sie auf Deutsch', page
    )


def _fact_sheet(html: str) -> list[tuple[str, str]]:
    sheet = re.search(r'<dl class="answers" id="fact-sheet">(.*?)</dl>', html, re.S)
    assert sheet, "no fact sheet on the case page"
    return [
        (label, re.sub(r"<[^>]+>", "", value).strip())
        for label, value in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", sheet.group(1), re.S)
    ]


async def test_the_fact_sheet_follows_the_intake_and_says_why_a_case_is_a_crisis(
    env: Console_,
) -> None:
    account = "Sie haben mich beschimpft.\nIch will nicht mehr leben. Bitte helfen Sie."
    _, case_id = await intake(env.office, env.channel, account=account, when="today")
    me = await session_of(env, "berater-region")
    _, page = await _page(env, me, f"/console/cases/{case_id}")
    # In the order asked, under the flow's label or the question's first sentence, with
    # what the person picked as words, the account whole (line breaks kept).
    assert _fact_sheet(page) == [
        ("Dürfen wir Ihre Angaben speichern?", "ja"),
        ("Sind Sie jetzt in Gefahr?", "nein"),
        ("Wann ist es passiert?", "Heute"),
        ("Ort", "Garbsen"),
        ("Was ist passiert?", account),
    ]
    # The crisis flag came from the account: that sentence is marked, the rest is context.
    reason = re.search(r'id="crisis-reason">(.*?)</section>', page, re.S)
    assert reason, "a crisis case says why"
    assert "<mark>Ich will nicht mehr leben. </mark>" in reason.group(1)
    assert "<mark>Sie haben mich beschimpft." not in reason.group(1)
    # The bot's questions are folded; the person's answers stay open.
    transcript = re.search(r'<ol class="transcript" id="transcript">(.*?)</ol>', page, re.S)
    assert transcript
    folded = re.findall(r'<li class="line bot folded">', transcript.group(1))
    assert len(folded) >= 5 and "<details>" in transcript.group(1)
    assert re.search(r'<li class="line person">\s*<p class="meta">', transcript.group(1))


async def test_a_case_without_crisis_has_no_reason_box(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    me = await session_of(env, "berater-region")
    _, page = await _page(env, me, f"/console/cases/{case_id}")
    assert 'id="crisis-reason"' not in page
    assert ("Sind Sie jetzt in Gefahr?", "nein") in _fact_sheet(page)


async def test_crisis_words_after_the_handover_bring_the_numbers_and_put_the_case_first(
    env: Console_,
) -> None:
    """The case waits (the office may be closed until morning); the person writes that
    they are in danger now. They get the crisis numbers at once, as before the handover,
    and the counsellors see the case first in the queue, a crisis, with that line as why."""
    _, earlier = await intake(env.office, env.channel)
    person, case_id = await intake(env.office, env.channel)
    me = await session_of(env, "berater-region")
    _, queue = await _page(env, me, "/console")
    assert _queue_order(queue)[:2] == [earlier, case_id]

    async def crisis_replies() -> list[OutboundMessage]:
        # The app's delivery worker or the person's sends it, whichever is first.
        for _ in range(250):
            await person.worker.run_once()
            # Two workers may both send a reply; its delivery id makes it one for the person.
            sent = {m.delivery_id: m for m in env.channel.to(person.address)}
            found = [m for m in sent.values() if m.kind == "crisis"]
            if found:
                return found
            await asyncio.sleep(0.02)
        return []

    await person.send(text="Ich habe noch eine Frage zur Wohnung.")
    await person.send(text="Er ist wieder da, er will mich umbringen.")
    crisis = await crisis_replies()
    assert [m.text for m in crisis] == ["Wenn Sie in Gefahr sind: Polizei 110, Notruf 112."]
    # Not a question: the page keeps its field for writing to the office.
    assert (crisis[0].expects, crisis[0].choices) == ("none", ())

    _, queue = await _page(env, me, "/console")
    assert _queue_order(queue)[:2] == [case_id, earlier]
    _, page = await _page(env, me, f"/console/cases/{case_id}")
    reason = re.search(r'id="crisis-reason">(.*?)</section>', page, re.S)
    assert reason, "a crisis case says why"
    assert "<mark>Er ist wieder da, er will mich umbringen.</mark>" in reason.group(1)
    async with env.office.store.read() as tx:
        actions = [(actor, act) for actor, act, cid, _ in await audit.entries(tx) if cid == case_id]
    assert ("person", "case.crisis") in actions
    # Said again, the numbers come again; the case is marked once.
    await person.send(text="Ich will nicht mehr leben.")
    for _ in range(250):
        if len(await crisis_replies()) == 2:
            break
        await asyncio.sleep(0.02)
    assert len(await crisis_replies()) == 2
    async with env.office.store.read() as tx:
        marked = [act for _, act, cid, _ in await audit.entries(tx) if cid == case_id]
    assert marked.count("case.crisis") == 1


async def test_the_queue_says_what_each_case_is_about(env: Console_) -> None:
    """A counsellor picks the next case by what it is about, without opening each one (which
    is audited): the answers the flow marks `in_queue` stand in the row, never the account."""
    office, channel = env.office, env.channel
    _, garbsen = await intake(office, channel, municipality="garbsen", account=CANARY)
    _, hannover = await intake(office, channel, municipality="hannover")
    label = '<span class="about-label">Ort:</span>'
    for counsellor, case_id, place in (
        ("berater-region", garbsen, "Garbsen"),
        ("berater-stadt", hannover, "Hannover"),
    ):
        _, queue = await _page(env, await session_of(env, counsellor), "/console")
        about = re.findall(
            r'href="/console/cases/(\d+)">.*?<td class="about"[^>]*>(.*?)</td>', queue, re.S
        )
        assert about == [(str(case_id), f'<span class="about-fact">{label} {place}</span>')]
        assert CANARY not in queue
    async with office.store.read() as tx:
        assert not [e for e in await audit.entries(tx) if e[1] == "case.viewed"]


async def test_a_date_from_a_span_is_shown_as_the_earliest_day_until_a_counsellor_enters_it(
    env: Console_,
) -> None:
    # "In den letzten 30 Tagen" gives the earliest day it can be, from which the deadline
    # runs; the case page must not present it as the day of the incident.
    _, case_id = await intake(env.office, env.channel, when="this_month")
    me = await session_of(env, "berater-region")
    _, page = await _page(env, me, f"/console/cases/{case_id}")
    earliest = (env.clock().date() - timedelta(days=30)).strftime("%d.%m.%Y")
    assert f"frühestens {earliest} (geschätzt" in page
    assert "genaues Datum eintragen" in page

    day = env.clock().date() - timedelta(days=12)
    await _post(env, me, f"/console/cases/{case_id}/incident", incident_date=day.isoformat())
    _, page = await _page(env, me, f"/console/cases/{case_id}")
    assert f"{day.strftime('%d.%m.%Y')}; berichtigen:" in page and "frühestens" not in page
