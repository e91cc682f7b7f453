"""After the office closes a case, on every channel: the person is told, and what they write
then reopens the case in the team queue, marked as reopened (console, web chat socket and
no-JavaScript form; Telegram in tests/telegram). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.conversation import case_texts
from bot.keys import SERVICE
from storage import audit, cases, teams
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_console import Console_, intake, session_of
from tests.integration.test_webchat_pages import get_page, submit
from tests.integration.test_webchat_ws import _complete_after_hello, connect
from tests.integration.test_webchat_ws import client as client  # re-exported: fixture

CLOSING = {
    "outcome": "referred",
    "grounds": ["racism"],
    "life_area": "housing",
    "form": "direct",
    "intervention": ["information"],
}


async def _close_as_counsellor(tx_store: Any, case_id: int, service: Any) -> None:
    """The console's close: the case closed and the person told in one transaction."""
    async with tx_store.tx() as tx:
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, case_id, counsellor.counsellor_id)
    async with tx_store.tx() as tx:
        assert await cases.close(tx, case_id, counsellor.counsellor_id)
        assert await service.close_notice(tx, case_id)
    service.outbox_filled()


async def test_the_console_close_tells_the_person_and_their_next_message_reopens_the_case(
    env: Console_,
) -> None:
    person, case_id = await intake(env.office, env.channel)
    sid, csrf = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    case_url = f"/console/cases/{case_id}"
    await env.client.post(f"{case_url}/claim", data={"csrf": csrf}, headers=cookie)
    # What the counsellor confirms is what happens below.
    before = await (await env.client.get(case_url, headers=cookie)).text()
    assert "Schreibt sie danach wieder, solange der Fall aufbewahrt wird, kommt er zurück" in before
    assert "nicht mehr antworten" not in before
    done = await env.client.post(
        f"{case_url}/close",
        data={"csrf": csrf, "confirm": "yes", **CLOSING},
        headers=cookie,
        allow_redirects=False,
    )
    assert done.headers["Location"] == "/console?notice=closed"
    for _ in range(250):  # the app's worker or the person's sends it, whichever is first
        await person.worker.run_once()
        told = [m.text for m in env.channel.to(person.address)]
        if case_texts.text("closed", "de") in told:
            break
        await asyncio.sleep(0.02)
    assert told[-1] == case_texts.text("closed", "de")
    queue = await (await env.client.get("/console", headers=cookie)).text()
    assert f"/console/cases/{case_id}" not in queue

    await person.send(text="Es gibt etwas Neues.")

    queue = await (await env.client.get("/console", headers=cookie)).text()
    assert f"/console/cases/{case_id}" in queue and "wieder geöffnet" in queue
    page = await (await env.client.get(case_url, headers=cookie)).text()
    assert 'id="reopened"' in page and "Es gibt etwas Neues." in page
    assert "/claim" in page  # waiting again for anyone of the team
    async with env.office.store.read() as tx:
        actions = [(a, act) for a, act, cid, _ in await audit.entries(tx) if cid == case_id]
    assert ("person", "case.reopened") in actions


async def test_the_web_chat_socket_shows_the_close_and_a_message_reopens(
    client: Any, office: Office
) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    session = (await chat.next("welcome"))["session"]
    await _complete_after_hello(chat)
    async with office.store.read() as tx:
        (entry,) = await cases.queue(tx)
    service = client.app[SERVICE]
    await _close_as_counsellor(office.store, entry.case_id, service)

    closed = await chat.next("message")
    assert (closed["text"], closed["owner"]) == (case_texts.text("closed", "de"), "closed")
    await chat.answer(text="Ich habe noch eine Frage.")
    reopened = await chat.next("message")
    assert (reopened["text"], reopened["owner"]) == (case_texts.text("reopened", "de"), "queued")
    async with office.store.read() as tx:
        assert [e.case_id for e in await cases.queue(tx)] == [entry.case_id]
    await chat.ws.close()

    # Back later: the page knows the case is open again, and the message is in it.
    again = await connect(client)
    await again.send({"type": "hello", "session": session})
    welcome = await again.next("welcome")
    assert (welcome["owner"], welcome["case_closed"]) == ("queued", False)
    texts = [f.get("text") for f in welcome["history"]]
    assert "Ich habe noch eine Frage." in texts


async def test_without_javascript_a_closed_case_says_so_and_the_form_reopens_it(
    client: Any, office: Office
) -> None:
    page = await get_page(client)
    for op in ("start", "choice:accept", "choice:no", "choice:today", "choice:garbsen"):
        page, _ = await submit(client, page.answer, op)
    page, _ = await submit(client, page.answer, "send", text="Man hat mich nicht bedient.")
    async with office.store.read() as tx:
        (entry,) = await cases.queue(tx)
    await _close_as_counsellor(office.store, entry.case_id, client.app[SERVICE])

    page, _ = await submit(client, page.answer, "send", text="Noch etwas: es ging weiter.")

    assert "Noch etwas: es ging weiter." in page.messages()
    assert case_texts.text("reopened", "de") in page.messages()
    assert page.answer.ops == ["send"]
    async with office.store.read() as tx:
        assert [e.case_id for e in await cases.queue(tx)] == [entry.case_id]


async def test_without_javascript_a_closed_case_page_offers_to_write_again(
    client: Any, office: Office
) -> None:
    page = await get_page(client)
    for op in ("start", "choice:accept", "choice:no", "choice:today", "choice:garbsen"):
        page, _ = await submit(client, page.answer, op)
    page, _ = await submit(client, page.answer, "send", text="Man hat mich nicht bedient.")
    async with office.store.read() as tx:
        (entry,) = await cases.queue(tx)
    await _close_as_counsellor(office.store, entry.case_id, client.app[SERVICE])

    # The next page the form brings (here: a dismissed dialog) shows the close.
    page, _ = await submit(client, page.answer, "delete-cancel")
    assert case_texts.text("closed", "de") in page.messages()
    assert 'data-t="case_closed"' in page.html
    assert "Sie können hier weiterschreiben" not in page.html
    assert page.answer.ops == ["send"]
