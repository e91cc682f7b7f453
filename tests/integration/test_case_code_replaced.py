"""Someone else holds the case code (a colleague who left and kept it, a shared phone): a
resume on another device is told to the device that held the case and shown to the team,
and a team member replaces the code so the old one and every device that used it open
nothing any more. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import secrets

from bot.conversation import case_texts
from bot.conversation.code_hold import CONSOLE_TEXT
from bot.keys import SERVICE
from storage import audit
from tests.integration.test_console import Console_, intake, session_of
from tests.integration.test_crash import wait_for


async def _told(env: Console_, address: str, text: str) -> None:
    await wait_for(lambda: any(m.text == text for m in env.channel.to(address)), 5)


async def test_a_resume_elsewhere_is_seen_and_a_replaced_code_shuts_the_old_one_out(
    env: Console_,
) -> None:
    person, case_id = await intake(env.office, env.channel)
    assert person.last is not None and person.last.case is not None
    code = person.last.case.case_code
    service = env.client.app[SERVICE]

    # A former colleague types the code they read earlier into the public web chat.
    intruder, intruder_token = "elsewhere-device", secrets.token_bytes(32)
    taken = await service.resume_with_code(env.channel.name, intruder, intruder_token, code)
    assert taken is not None and taken.case_id == case_id

    # The device that held the case hears of it at once ...
    await _told(env, person.address, case_texts.text("opened_elsewhere", "de"))
    # ... and the team sees it in the case, where the code itself never shows.
    sid, csrf = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    url = f"/console/cases/{case_id}"
    html = await (await env.client.get(url, headers=cookie)).text()
    assert "Mit dem Fall-Code auf einem anderen Gerät geöffnet" in html
    assert code not in html and CONSOLE_TEXT in html

    # Replacing asks first.
    unconfirmed = await env.client.post(
        f"{url}/code", data={"csrf": csrf}, headers=cookie, allow_redirects=False
    )
    assert unconfirmed.status == 303 and "notice=unconfirmed" in unconfirmed.headers["Location"]
    resp = await env.client.post(
        f"{url}/code",
        data={"csrf": csrf, "confirm": "yes", "disconnect": "yes"},
        headers=cookie,
    )
    page = await resp.text()
    assert resp.status == 200
    found = re.search(r'id="secret-value">([^<]+)<', page)
    assert found is not None
    new_code = found.group(1)
    assert new_code != code

    # The old code opens nothing, the intruder's browser reads nothing and gets nothing.
    assert await service.resume_with_code(env.channel.name, "third", None, code) is None
    gone = await service.history(env.channel.name, intruder, intruder_token)
    assert gone.lines == () and gone.case_id is None
    html = await (await env.client.get(url, headers=cookie)).text()
    assert "Fall-Code ersetzt" in html and "Das verbundene Gerät wurde getrennt." in html
    assert new_code not in html

    # The person, given the new code by the office, opens the case on their device again.
    token = secrets.token_bytes(32)
    back = await service.resume_with_code(env.channel.name, person.address, token, new_code)
    assert back is not None and back.case_id == case_id and back.lines
    async with env.office.store.read() as tx:
        entries = await audit.entries(tx)
    assert any(e[1] == "case.code_replaced" and e[2] == case_id for e in entries)
    assert all(new_code not in str(e) and code not in str(e) for e in entries)
