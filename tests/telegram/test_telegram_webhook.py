"""Webhook mode: our route checks Telegram's secret token header, answers 200 only after the
update is stored, and 500 (so Telegram sends again) when it could not be handled. The
emulator's pushes lack the header, so the wire proxy relays them with it, as Telegram does;
the checks of a missing or wrong header post Update JSON to our route directly."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.cli.main import run
from storage.models import Contact
from tests.telegram.conftest import WEBHOOK_SECRET, MakeTelegram, Telegram
from tests.telegram.harness import TOKEN, Person, server_error

CANARY = "Seeadler-Kolibri-5531-canary"


def start_update(person: Person, update_id: int, text: str = "/start") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": person.chat,
            "from": person.user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            if text.startswith("/")
            else [],
        },
    }


async def webhook(tg: MakeTelegram) -> Telegram:
    return await tg(mode="webhook", secret_token=SecretStr(WEBHOOK_SECRET))


async def contacts(tg: Telegram) -> int:
    async with tg.office.store.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(Contact)) or 0)


async def test_an_update_with_the_right_secret_is_handled(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await webhook(make_telegram)
    anna = person()
    resp = await tg.client.post(
        WEBHOOK_PATH, json=start_update(anna, 1), headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert resp.status == 200
    assert await contacts(tg) == 1  # stored before the 200
    prompt = await anna.prompt()
    assert prompt.text == "Dürfen wir Ihre Angaben speichern?"
    assert not tg.proxy.called("getUpdates")  # webhook mode does not poll


@pytest.mark.parametrize("header", [None, "wrong-secret", "s3cr3t-Token_for-the-webhooK", "ä"])
async def test_a_missing_or_wrong_secret_is_refused_and_logged_without_content(
    make_telegram: MakeTelegram,
    person: Callable[..., Person],
    caplog: pytest.LogCaptureFixture,
    header: str | None,
) -> None:
    caplog.set_level(logging.INFO)
    tg = await webhook(make_telegram)
    anna = person()
    headers = {} if header is None else {SECRET_HEADER: header}
    resp = await tg.client.post(
        WEBHOOK_PATH, json=start_update(anna, 7, f"Hallo {CANARY}"), headers=headers
    )
    assert resp.status == 403
    assert "secret token refused" in caplog.text
    assert CANARY not in caplog.text and str(anna.chat_id) not in caplog.text
    assert await contacts(tg) == 0
    assert await anna.quiet(0.3) == []


async def test_a_body_that_is_no_update_is_refused(
    make_telegram: MakeTelegram, person: Callable[..., Person], caplog: pytest.LogCaptureFixture
) -> None:
    tg = await webhook(make_telegram)
    anna = person()
    deep = json.dumps(start_update(anna, 1)).replace('"/start"', "[" * 5000 + "]" * 5000)
    for body in (b"{not json", deep.encode(), b'{"update_id": ' + b"7" * 5000 + b"}"):
        resp = await tg.client.post(
            WEBHOOK_PATH, data=body, headers={SECRET_HEADER: WEBHOOK_SECRET}
        )
        assert resp.status == 400
    assert "RecursionError" not in caplog.text and "Traceback" not in caplog.text
    assert await contacts(tg) == 0


async def test_an_update_that_could_not_be_handled_gets_500_and_its_retry_counts_once(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await webhook(make_telegram)
    anna = person()
    update = start_update(anna, 3)
    headers = {SECRET_HEADER: WEBHOOK_SECRET}
    tg.proxy.fail("sendMessage", server_error(502))  # Telegram fails under our privacy notice
    assert (await tg.client.post(WEBHOOK_PATH, json=update, headers=headers)).status == 500
    assert await contacts(tg) == 0
    # Telegram sends the same update again, twice even: handled, and counted once.
    assert (await tg.client.post(WEBHOOK_PATH, json=update, headers=headers)).status == 200
    assert (await tg.client.post(WEBHOOK_PATH, json=update, headers=headers)).status == 200
    await anna.prompt()
    assert [m for m in await anna.quiet(0.5) if m.keyboard] == []  # one first question only


async def test_set_webhook_registers_our_route_and_the_emulator_reaches_it(
    make_telegram: MakeTelegram, person: Callable[..., Person], tmp_path: Path
) -> None:
    tg = await webhook(make_telegram)
    url = f"http://127.0.0.1:{tg.client.port}{WEBHOOK_PATH}"
    config = tmp_path / "anlaufstelle.toml"
    config.write_text(
        "[telegram]\n"
        f'token = "{TOKEN}"\n'
        'mode = "webhook"\n'
        f'webhook_url = "{url}"\n'
        f'secret_token = "{WEBHOOK_SECRET}"\n'
        f'base_url = "{tg.proxy.base_url}"\n',
        encoding="utf-8",
    )
    out = io.StringIO()
    code = await asyncio.to_thread(run, ["--config", str(config), "telegram", "set-webhook"], out)
    assert code == 0, out.getvalue()
    assert url in out.getvalue()
    (call,) = tg.proxy.called("setWebhook")
    assert call.params["url"] == url and call.params["secret_token"] == WEBHOOK_SECRET
    assert "callback_query" in call.params["allowed_updates"]

    anna = person()
    await anna.command("/start")  # the emulator pushes it; the proxy adds the secret header
    consent = await anna.prompt()
    await anna.tap(consent, "c:accept")
    assert (await anna.prompt()).text == "Sind Sie jetzt in Gefahr?"
    assert len(tg.proxy.relayed) == 2


async def test_set_webhook_refuses_polling_settings(tmp_path: Path) -> None:
    config = tmp_path / "anlaufstelle.toml"
    config.write_text(f'[telegram]\ntoken = "{TOKEN}"\n', encoding="utf-8")
    out = io.StringIO()
    code = await asyncio.to_thread(run, ["--config", str(config), "telegram", "set-webhook"], out)
    assert code == 1


async def test_half_a_surrogate_pair_is_taken_with_200_not_retried_forever(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    """JSON may escape half of a surrogate pair; it cannot be stored as UTF-8. Telegram sends
    an update again after every non-2xx answer, so it must be taken (as U+FFFD)."""
    tg = await webhook(make_telegram)
    anna = person()
    headers = {SECRET_HEADER: WEBHOOK_SECRET}
    assert (
        await tg.client.post(WEBHOOK_PATH, json=start_update(anna, 1), headers=headers)
    ).status == 200
    await anna.prompt()
    resp = await tg.client.post(
        WEBHOOK_PATH, json=start_update(anna, 2, "Hallo \ud800"), headers=headers
    )
    assert resp.status == 200


async def test_a_chat_type_with_a_line_break_forges_no_log_line(
    make_telegram: MakeTelegram, person: Callable[..., Person], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tg = await webhook(make_telegram)
    anna = person()
    update = start_update(anna, 5, "Hallo")
    update["message"]["chat"] = {
        "id": anna.chat_id,
        "type": "group\r\nERROR bot.console.pages: login.ok admin",
        "title": "x",
    }
    resp = await tg.client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert resp.status == 200
    declined = [r.getMessage() for r in caplog.records if "declined" in r.getMessage()]
    assert declined, caplog.text
    assert all("\n" not in m and "\r" not in m for m in declined)
    assert all("\n" not in r.getMessage() for r in caplog.records)
