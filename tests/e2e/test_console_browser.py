"""The counsellors' console in a real browser against a real `anlaufstelle serve`: set up an
invited account (password + authenticator), log in, open the queue and a case, answer and
close it, by keyboard and mouse; axe-core checks WCAG 2.1 A/AA on every page."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

import pyotp  # noqa: E402
from playwright.async_api import Page, expect  # noqa: E402

from tests.e2e.helpers import (  # noqa: E402
    MakeContext,
    Server,
    assert_accessible,
    intake_over_websocket,
)

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "ein sehr langes Passwort"
DESKTOP = {"width": 1280, "height": 900}


def invite(server: Server, tmp_path: Path, username: str, role: str = "counsellor") -> str:
    key_file = tmp_path / "recovery"
    key_file.write_text(server.recovery_key() + "\n", encoding="utf-8")
    exe = Path(sys.executable).with_name("anlaufstelle")
    argv = [str(exe), "counsellor", "invite", username, "--team", "region", "--role", role]
    argv += ["--recovery-key-file", str(key_file)]
    result = subprocess.run(
        argv,
        env=server.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    link = re.search(r"(http://\S+/console/setup/\S+)", result.stdout)
    assert link, result.stdout
    return link.group(1)


async def code_for(page: Page) -> str:
    secret = await page.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    return pyotp.TOTP(secret).now()


@pytest.mark.timeout(120)
async def test_setup_login_queue_case_reply_close_accessible(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    # bypass_csp only so axe-core can be injected; the console's CSP refuses inline scripts.
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    link = invite(server, tmp_path, "browser-region")
    await intake_over_websocket(server)

    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Konto einrichten")
    await assert_accessible(page, "on the setup page")
    secret = await page.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    await page.get_by_label("Neues Passwort").fill(PASSWORD)
    await page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    await page.get_by_label("Code, den die App jetzt anzeigt").fill(await code_for(page))
    await page.get_by_role("button", name="Konto einrichten").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Konto eingerichtet")

    await page.get_by_role("link", name="Zur Anmeldung").click()
    await assert_accessible(page, "on the login page")
    await page.get_by_label("Benutzername").fill("browser-region")
    await page.get_by_label("Passwort").fill("falsches Passwort, lang")
    await page.get_by_label("Code aus der Authenticator-App").fill("000000")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("nicht geklappt")
    await assert_accessible(page, "on the login page with an error")

    # The code of the next time step: the one used at setup is spent.
    totp = pyotp.TOTP(secret)
    await page.get_by_label("Benutzername").fill("browser-region")
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_label("Code aus der Authenticator-App").fill(totp.at(time.time() + 30))
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Warteschlange")
    await assert_accessible(page, "on the queue")

    await page.get_by_role("link", name=re.compile(r"^Fall \d+$")).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d+$"))
    await assert_accessible(page, "on a waiting case")
    await page.get_by_role("button", name="Fall übernehmen").click()
    await expect(page.get_by_role("status").first).to_contain_text("übernommen")
    await page.get_by_label("Nachricht an die Person").fill("Guten Tag, hier ist die Beratung.")
    await assert_accessible(page, "on a claimed case")
    await page.get_by_role("button", name="Senden").click()
    await expect(page.get_by_role("status").first).to_contain_text("unterwegs")
    await expect(page.locator(".transcript")).to_contain_text("hier ist die Beratung")
    await page.get_by_label("Ergebnis").select_option("information")
    await page.get_by_role("button", name="Fall abschließen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Warteschlange")

    await page.get_by_role("button", name=re.compile("^Abmelden")).click()
    await expect(page.get_by_role("status")).to_contain_text("abgemeldet")


@pytest.mark.timeout(120)
async def test_translations_page_is_accessible(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    link = invite(server, tmp_path, "browser-admin", role="admin")
    await page.goto(link)
    secret = await page.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    await page.get_by_label("Neues Passwort").fill(PASSWORD)
    await page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    await page.get_by_label("Code, den die App jetzt anzeigt").fill(await code_for(page))
    await page.get_by_role("button", name="Konto einrichten").click()
    await page.get_by_role("link", name="Zur Anmeldung").click()
    await page.get_by_label("Benutzername").fill("browser-admin")
    await page.get_by_label("Passwort").fill(PASSWORD)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    await page.get_by_label("Code aus der Authenticator-App").fill(code)
    await page.get_by_role("button", name="Anmelden").click()

    await page.get_by_role("link", name="Übersetzungen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Übersetzungen")
    await expect(page.get_by_role("table")).to_contain_text("node:consent:text")
    await assert_accessible(page, "on the translations page")
    await page.get_by_label("Nur fehlende und veraltete Übersetzungen zeigen").check()
    await page.get_by_role("button", name="Anwenden").click()
    await expect(page.get_by_text("Keine fehlenden oder veralteten Übersetzungen.")).to_be_visible()
    # An upload of a file that is not PO: refused with its line, the page stays accessible.
    bad = tmp_path / "en.po"
    bad.write_text("das ist kein PO\n", encoding="utf-8")
    await page.get_by_label("Sprache").select_option("en")
    await page.get_by_label("PO-Datei").set_input_files(str(bad))
    await page.get_by_role("button", name="Importieren und veröffentlichen").click()
    await expect(page.get_by_role("alert")).to_contain_text("Zeile 1")
    await assert_accessible(page, "on the translations page with an import error")
