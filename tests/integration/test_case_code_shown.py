"""The case code on the web chat: shown once, kept whole, and coming back with it welcomes
the person on the latest line with where their case stands (socket and no-JavaScript form)."""

from __future__ import annotations

import re
from typing import Any

from storage import cases, teams
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_webchat_pages import get_page, submit
from tests.integration.test_webchat_ws import _complete, connect
from tests.integration.test_webchat_ws import client as client  # re-exported: fixture

CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def _no_js_case(client: Any) -> str:
    page = await get_page(client)
    for op in ("start", "choice:accept", "choice:no", "choice:today", "choice:garbsen"):
        page, _ = await submit(client, page.answer, op)
    page, _ = await submit(client, page.answer, "send", text="Man hat mich nicht bedient.")
    groups = re.findall(r'<span class="code-group">([0-9A-Z]{4}-?)</span>', page.html)
    assert len(groups) == 3  # each group in one unbreakable span
    return "".join(groups)


async def test_without_javascript_the_code_brings_a_welcome_and_the_case_status(
    client: Any, office: Office
) -> None:
    code = await _no_js_case(client)
    fresh = await get_page(client)  # another browser

    page, _ = await submit(client, fresh.forms["resume-form"], "resume", code=code)

    assert (
        page.messages()[-1]
        == "Willkommen zurück. Ihr Fall wartet auf eine Beraterin oder einen Berater."
    )
    assert 'id="latest"' in page.html.split("Willkommen zurück.")[0].rsplit("<li", 1)[1]

    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, entry.case_id, counsellor.counsellor_id)
    other = await get_page(client)
    page, _ = await submit(client, other.forms["resume-form"], "resume", code=code)
    assert page.messages()[-1].endswith("Eine Beraterin oder ein Berater schreibt mit Ihnen.")


async def test_over_the_socket_a_resume_with_the_code_is_marked_for_the_welcome(
    client: Any, office: Office
) -> None:
    code = await _complete(await connect(client))
    other = await connect(client)
    await other.send({"type": "hello", "language": "de"})
    assert (await other.next("welcome"))["by_code"] is False
    await other.send({"type": "resume", "code": code})
    welcome = await other.next("welcome")
    assert welcome["by_code"] is True and welcome["owner"] == "queued"


async def test_without_javascript_neu_anfangen_asks_first(client: Any) -> None:
    page = await get_page(client)
    for op in ("start", "choice:accept", "choice:no"):
        page, _ = await submit(client, page.answer, op)
    asked = page.messages()[-1]
    assert "command:restart" in page.answer.ops

    page, _ = await submit(client, page.answer, "command:restart")
    assert "restart-confirm" in page.ids
    assert page.messages()[-1] == asked  # nothing thrown away yet
    confirm = next(f for f in page.forms.values() if f.fields.get("confirm") == "restart")
    cancelled, _ = await submit(client, confirm, "delete-cancel")
    assert "restart-confirm" not in cancelled.ids and cancelled.messages()[-1] == asked

    page, _ = await submit(client, confirm, "command:restart")
    assert "restart-confirm" not in page.ids
    assert page.messages()[-1] == "Dürfen wir Ihre Angaben speichern?"  # from the start
