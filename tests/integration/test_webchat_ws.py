"""The web chat WebSocket protocol against the real app, store and flow (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels import webchat
from bot.conversation import case_texts
from bot.conversation.service import ConversationService
from bot.keys import SERVICE
from bot.office import housekeeping
from bot.settings import DeliverySettings, Settings, WebChatSettings
from storage import cases, stats, teams
from storage.models import Conversation
from tests.conftest import COUNSELLOR_PASSWORD, Office

ORIGIN_OK = {"Origin": "http://127.0.0.1"}


class Chat:
    """A browser's side of the protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = 0

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, type_: str | None = None) -> dict[str, Any]:
        while True:
            # Generous: a handover (Argon2id) on a busy machine takes seconds; a frame that
            # never comes still fails the test.
            frame = json.loads(await asyncio.wait_for(self.ws.receive_str(), 30))
            if type_ is None or frame["type"] == type_:
                return frame  # type: ignore[no-any-return]

    async def until_prompt(self) -> dict[str, Any]:
        while True:
            frame = await self.next("message")
            if frame["kind"] == "prompt":
                return frame

    async def answer(self, **fields: Any) -> dict[str, Any]:
        self.ids += 1
        kind = "text" if "text" in fields else "command" if "command" in fields else "answer"
        await self.send({"type": kind, "id": f"c{self.ids}", **fields})
        ack = await self.next("ack")
        assert ack["id"] == f"c{self.ids}"
        return ack


@pytest.fixture
async def client(office: Office) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = Settings(delivery=DeliverySettings(poll_seconds=0.05))
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def connect(client: TestClient[web.Request, web.Application], **headers: str) -> Chat:
    origin = {"Origin": f"http://127.0.0.1:{client.port}"}
    ws = await client.ws_connect("/chat/ws", headers={**origin, **headers})
    return Chat(ws)


async def test_a_new_chat_gets_a_session_and_the_first_question(client: Any) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "session": None, "language": "en"})
    welcome = await chat.next("welcome")
    assert len(welcome["session"]) == 43 and welcome["history"] == []
    prompt = await chat.until_prompt()
    assert prompt["text"] == "May we store your answers?"
    assert [c["id"] for c in prompt["choices"]] == ["accept", "decline"]
    await chat.answer(choice="accept")
    assert (await chat.until_prompt())["text"] == "Are you in danger right now?"


async def test_bad_frames_get_errors_and_the_connection_stays_usable(client: Any) -> None:
    chat = await connect(client)
    await chat.send({"type": "answer", "id": "x", "choice": "accept"})
    assert (await chat.next("error"))["code"] == "hello_first"
    await chat.send({"type": "hello", "language": "de"})
    await chat.until_prompt()
    await chat.send("{not json")
    assert (await chat.next("error"))["code"] == "bad_frame"
    await chat.send({"type": "shout", "id": "y"})
    assert (await chat.next("error"))["code"] == "unknown_type"
    await chat.send({"type": "answer", "id": "z", "choice": 5})
    err = await chat.next("error")
    assert err == {
        "type": "error",
        "code": "bad_frame",
        "message": "invalid field(s): choice",
        "id": "z",
    }
    await chat.send({"type": "text", "id": "big", "text": "x" * 40_000})
    assert (await chat.next("error"))["code"] == "too_large"
    await chat.send({"type": "text", "id": "long", "text": "ä" * 10_001})
    assert (await chat.next("error"))["code"] == "too_large"
    await chat.answer(choice="accept")  # still works
    assert (await chat.until_prompt())["text"] == "Sind Sie jetzt in Gefahr?"


async def test_a_flood_is_slowed_with_a_clear_error(client: Any) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    for _ in range(30):
        await chat.send({"type": "ping"})
    codes = []
    for _ in range(30):
        frame = await chat.next()
        if frame["type"] == "error":
            codes.append(frame["code"])
    assert "rate_limited" in codes


async def test_a_message_slowed_by_the_flood_limit_is_named_so_the_page_sends_it_again(
    client: Any,
) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    await chat.until_prompt()
    sent = [f"m{n}" for n in range(20)]
    for frame_id in sent:
        await chat.send({"type": "text", "id": frame_id, "text": "hallo"})
    refused = []
    for _ in range(60):
        frame = await chat.next()
        if frame["type"] == "error" and frame["code"] == "rate_limited":
            refused.append(frame.get("id"))
        if frame["type"] in ("ack", "error") and frame.get("id") == sent[-1]:
            break
    assert refused and all(frame_id in sent for frame_id in refused)


async def test_a_foreign_origin_is_refused(client: Any) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await client.ws_connect("/chat/ws", headers={"Origin": "https://evil.example"})
    assert exc.value.status == 403


async def test_reconnecting_with_the_session_restores_the_history(client: Any) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    session = (await chat.next("welcome"))["session"]
    await chat.until_prompt()
    await chat.answer(choice="accept")
    await chat.until_prompt()
    await chat.ws.close()

    again = await connect(client)
    await again.send({"type": "hello", "session": session})
    welcome = await again.next("welcome")
    assert welcome["resumed"] is True
    senders = [f["sender"] for f in welcome["history"]]
    assert senders == ["person", "bot", "person", "bot"]
    assert welcome["history"][2]["label"] == "Ja"
    assert welcome["history"][-1]["choices"][0] == {"id": "yes", "label": "Ja"}
    # Resending an unacknowledged message with the same id counts once.
    await again.send({"type": "answer", "id": "c1", "choice": "accept"})
    assert (await again.next("ack"))["status"] == "duplicate"


async def test_two_tabs_of_one_person_get_the_same_reply(client: Any) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    session = (await chat.next("welcome"))["session"]
    await chat.until_prompt()
    tab = await connect(client)
    await tab.send({"type": "hello", "session": session})
    await tab.next("welcome")

    await chat.answer(choice="accept")
    here, there = await chat.until_prompt(), await tab.until_prompt()
    assert here == there
    assert here["text"] == "Sind Sie jetzt in Gefahr?"


async def _complete(chat: Chat) -> str:
    await chat.send({"type": "hello", "language": "de"})
    return await _complete_after_hello(chat)


async def _complete_after_hello(chat: Chat) -> str:
    await chat.until_prompt()
    for fields in (
        {"choice": "accept"},
        {"choice": "no"},
        {"choice": "today"},
        {"choice": "garbsen"},
    ):
        await chat.answer(**fields)
        await chat.until_prompt()
    await chat.answer(text="Man hat mich nicht bedient.")
    while True:
        frame = await chat.next("message")
        if frame.get("case_code"):
            return str(frame["case_code"])


async def test_the_case_code_resumes_on_a_fresh_device_and_guessing_is_limited(
    client: Any, office: Office
) -> None:
    code = await _complete(await connect(client))
    other = await connect(client)
    await other.send({"type": "hello", "language": "de"})
    await other.next("welcome")
    await other.send({"type": "resume", "code": "AAAA-BBBB-CCCC"})
    assert (await other.next("error"))["code"] == "code_not_found"
    await other.send({"type": "resume", "code": code})
    welcome = await other.next("welcome")
    assert welcome["resumed"] and welcome["owner"] == "queued"
    texts = [f.get("text") for f in welcome["history"]]
    assert "Man hat mich nicht bedient." in texts
    for _ in range(6):
        await other.send({"type": "resume", "code": "AAAA-BBBB-CCCC"})
    codes = [(await other.next("error"))["code"] for _ in range(6)]
    # Five tries: the wrong one before took one, the right one none (it was no guess).
    assert codes == ["code_not_found"] * 4 + ["code_rate_limited"] * 2
    async with office.store.tx() as tx:
        assert len(await cases.queue(tx)) == 1


async def test_a_page_whose_case_was_opened_with_the_code_elsewhere_is_told_not_closed(
    client: Any, office: Office
) -> None:
    """The person opens their claimed case with the code on a second phone: the first page
    hears that the conversation is elsewhere now (`owner` "elsewhere"), not that the office
    closed it, which made the page offer to reopen it with a message that went nowhere."""
    first = await connect(client)
    code = await _complete(first)
    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, entry.case_id, counsellor.counsellor_id)

    second = await connect(client)
    await second.send({"type": "hello", "language": "de"})
    await second.next("welcome")
    await second.send({"type": "resume", "code": code})
    assert (await second.next("welcome"))["owner"] == "counsellor"

    told = await first.next("message")
    assert told["text"] == case_texts.text("opened_elsewhere", "de")
    assert told["owner"] == "elsewhere"


async def test_delete_my_conversation(client: Any, office: Office) -> None:
    chat = await connect(client)
    await _complete(chat)
    await chat.send({"type": "delete", "id": "d1", "confirm": True})
    assert (await chat.next("deleted")) == {"type": "deleted"}
    async with office.store.tx() as tx:
        assert await cases.queue(tx) == []


async def test_a_counsellor_reply_arrives_live_and_again_on_return(
    client: Any, office: Office
) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    session = (await chat.next("welcome"))["session"]
    await _complete_after_hello(chat)
    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, entry.case_id, counsellor.counsellor_id)
    service = client.app[SERVICE]
    seq = await service.counsellor_reply(
        entry.case_id, counsellor.counsellor_id, "Hallo, hier Frau M."
    )
    live = await chat.next("message")
    assert (live["sender"], live["text"], live["seq"]) == ("counsellor", "Hallo, hier Frau M.", seq)
    await chat.ws.close()

    again = await connect(client)
    await again.send({"type": "hello", "session": session})
    welcome = await again.next("welcome")
    assert welcome["owner"] == "counsellor"
    assert welcome["history"][-1]["sender"] == "counsellor"
    assert welcome["history"][-1]["text"] == "Hallo, hier Frau M."


async def test_one_network_cannot_open_endless_new_chats(office: Office) -> None:
    settings = Settings(webchat=WebChatSettings(new_chats_per_10_minutes=3))
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        for _ in range(3):
            chat = await connect(c)
            await chat.send({"type": "hello", "language": "de"})
            assert (await chat.next())["type"] == "welcome"
            await chat.ws.close()
        chat = await connect(c)
        await chat.send({"type": "hello", "language": "de"})
        assert (await chat.next("error"))["code"] == "rate_limited"


async def test_a_self_made_session_token_counts_as_a_new_chat(office: Office) -> None:
    """A token the server never issued finds no conversation: the one it starts counts
    against the per-network limit like a hello without a session."""
    settings = Settings(webchat=WebChatSettings(new_chats_per_10_minutes=3))
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        first = await connect(c)
        await first.send({"type": "hello", "language": "de"})
        session = (await first.next("welcome"))["session"]
        await first.until_prompt()
        for _ in range(2):
            chat = await connect(c)
            await chat.send({"type": "hello", "session": webchat.encode_token(os.urandom(32))})
            await chat.next("welcome")
            await chat.until_prompt()
            await chat.ws.close()
        forged = await connect(c)
        await forged.send({"type": "hello", "session": webchat.encode_token(os.urandom(32))})
        await forged.next("welcome")
        refused = await forged.next("error")
        assert refused["code"] == "rate_limited"
        async with office.store.tx() as tx:
            assert await tx.session.scalar(select(func.count(Conversation.id))) == 3
        # The person whose conversation exists carries on, limit or not.
        again = await connect(c)
        await again.send({"type": "hello", "session": session})
        assert (await again.next("welcome"))["history"][-1]["sender"] == "bot"
        assert (await again.answer(choice="accept"))["status"] == "processed"


async def test_a_page_opened_by_a_flyer_link_counts_its_place_once(
    client: Any, office: Office
) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de", "source": "plakat-hbf"})
    await chat.next("welcome")
    await chat.until_prompt()
    await chat.send({"type": "command", "id": "again-1", "command": "start"})
    await chat.until_prompt()
    bad = await connect(client)
    await bad.send({"type": "hello", "language": "de", "source": "<script>"})
    assert (await bad.next("error"))["code"] == "bad_frame"  # said, not silently dropped
    async with office.store.read() as tx:
        rows = await stats.table(tx)
    assert [(r.dimension, r.value, r.count) for r in rows] == [("source", "plakat-hbf", 1)]


async def test_a_new_chat_asks_its_first_question_without_looking_for_a_history(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rush of new people (a campaign, a TV report) costs one unit of work each: a session
    token the server made for this hello cannot have a conversation yet, so no history is
    read before the chat starts; a returning page's history is still read."""
    looked_up: list[str] = []
    read_history = ConversationService.history

    async def history(self: ConversationService, *args: Any, **kwargs: Any) -> Any:
        looked_up.append("history")  # counted, then the real read
        return await read_history(self, *args, **kwargs)

    monkeypatch.setattr(ConversationService, "history", history)

    chat = await connect(client)
    await chat.send({"type": "hello", "session": None, "language": "de"})
    welcome = await chat.next("welcome")
    assert (welcome["resumed"], welcome["history"]) == (False, [])
    assert (await chat.until_prompt())["text"] == "Dürfen wir Ihre Angaben speichern?"
    assert looked_up == []

    again = await connect(client)
    await again.send({"type": "hello", "session": welcome["session"], "language": "de"})
    back = await again.next("welcome")
    assert looked_up == ["history"]
    shown = [line.get("text") for line in back["history"]]
    assert back["resumed"] and "Dürfen wir Ihre Angaben speichern?" in shown


@pytest.mark.parametrize("again", [{"choice": "no"}, {"text": "Hallo, ist da jemand?"}])
async def test_a_page_left_open_past_expiry_gets_a_new_conversation_it_can_show(
    client: Any, office: Office, again: dict[str, str]
) -> None:
    # Overnight the open page's conversation expired and was deleted with its contact. The
    # person presses a button still on screen, or writes: a new conversation begins, says
    # so and asks its first question, and the page learns before its lines come that they
    # are numbered from 1 again (on SQLite even the conversation's id comes back).
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    await chat.until_prompt()
    await chat.answer(choice="accept")
    danger = await chat.until_prompt()
    assert danger["text"] == "Sind Sie jetzt in Gefahr?"
    later = datetime.now(UTC) + timedelta(days=4)
    swept = await housekeeping.sweep(office.store, idle_hours=72, retention_days=90, now=later)
    assert swept.idle_conversations == 1

    ack = await chat.answer(**again)

    assert ack["status"] == "processed" and ack["new_conversation"] is True
    notice = await chat.next("message")
    assert notice["text"].startswith("Hier beginnt ein neues Gespräch")
    first = await chat.until_prompt()
    assert first["seq"] <= danger["seq"]  # numbered from 1 again
    assert first["text"] == "Dürfen wir Ihre Angaben speichern?"  # not answered by "no"
    await chat.answer(choice="accept")
    assert (await chat.until_prompt())["text"] == "Sind Sie jetzt in Gefahr?"


async def test_the_new_conversation_after_expiry_speaks_the_language_the_page_spoke(
    client: Any, office: Office
) -> None:
    # An English-speaking person's page expired overnight: what begins next is English, not
    # the flow's German default.
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "en"})
    assert (await chat.until_prompt())["text"] == "May we store your answers?"
    await chat.answer(choice="accept")
    await chat.until_prompt()
    later = datetime.now(UTC) + timedelta(days=4)
    await housekeeping.sweep(office.store, idle_hours=72, retention_days=90, now=later)

    await chat.answer(text="Hello?")

    notice = await chat.next("message")
    assert notice["text"] == case_texts.text("new_conversation", "en")
    assert (await chat.until_prompt())["text"] == "May we store your answers?"
