"""The admin statistics in a real browser against a real `anlaufstelle serve`: an invited
admin sets up their account, opens the statistics, filters a period without JavaScript,
opens the yearly report and its print view; axe-core checks WCAG 2.1 A/AA on each page."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

import pyotp  # noqa: E402
from playwright.async_api import Page, expect  # noqa: E402

from bot.clock import SystemClock  # noqa: E402
from storage import stats  # noqa: E402
from storage.crypto import ServerKey  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.e2e.helpers import (  # noqa: E402
    MakeContext,
    Server,
    assert_accessible,
    invite,
    open_setup_link,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),  # one worker: one Chromium, one server per run
]

PASSWORD = "ein sehr langes Admin-Passwort"
DESKTOP = {"width": 1280, "height": 900}


async def write_counters(server: Server, period: str) -> None:
    """Counters as closed cases leave them, through the storage API, into the running
    server's database. `source` is a dimension no other browser test writes, so its
    numbers are known whatever ran before."""
    db = Database(f"sqlite+aiosqlite:///{server.database}")
    # stats.count needs no key: the counters are not encrypted (they are anonymous).
    store = Store(db, ServerKey.generate(), clock=SystemClock())
    try:
        async with store.tx() as tx:
            for source, n in (("flyer-uni", 12), ("plakat", 3), ("radio", 6)):
                for _ in range(n):
                    await stats.count(tx, period, {"cases": ["closed"], "source": [source]})
    finally:
        await db.dispose()


async def log_in_as_new_admin(
    page: Page, server: Server, tmp_path: Path, username: str, *, scripts: bool = True
) -> None:
    link = invite(server, tmp_path, username, role="admin")
    await open_setup_link(page, link, scripts=scripts)
    secret = await page.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    totp = pyotp.TOTP(secret)
    await page.get_by_label("Neues Passwort").fill(PASSWORD)
    await page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    await page.get_by_label("Code, den die App jetzt anzeigt").fill(totp.now())
    await page.get_by_role("button", name="Konto einrichten").click()
    await page.get_by_role("link", name="Zur Anmeldung").click()
    await page.get_by_label("Benutzername").fill(username)
    await page.get_by_label("Passwort").fill(PASSWORD)
    # The code of the next time step: the one used at setup is spent.
    await page.get_by_label("Code aus der Authenticator-App").fill(totp.at(time.time() + 30))
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Warteschlange")


@pytest.mark.timeout(120)
async def test_statistics_and_yearly_report_are_accessible(
    server: Server, make_context: MakeContext, tmp_path: Path, shots: Path
) -> None:
    now = datetime.now(UTC)
    await write_counters(server, now.strftime("%Y-%m"))
    # bypass_csp only so axe-core can be injected; the console's CSP refuses inline scripts.
    context = await make_context(bypass_csp=True, viewport=DESKTOP)
    page = await context.new_page()
    await log_in_as_new_admin(page, server, tmp_path, "browser-statistics")

    await page.get_by_role("link", name="Statistik").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Statistik: {now.year}")
    source = page.get_by_role("table", name=re.compile("^Outreach-Quelle"))
    await expect(source.get_by_role("row", name="flyer-uni 12")).to_be_visible()
    await expect(source.get_by_role("row", name="plakat < 5")).to_be_visible()
    await expect(source.get_by_role("row", name="radio verdeckt")).to_be_visible()
    chart = page.get_by_role("img", name="Balkendiagramm: Outreach-Quelle (Link)")
    await expect(chart).to_be_visible()
    await assert_accessible(page, "on the statistics page")
    await page.screenshot(path=str(shots / "statistics.png"), full_page=True)

    # The period filter is a plain GET form.
    month = now.month
    await page.get_by_label("Von Monat").select_option(str(month))
    await page.get_by_label("Bis Monat").select_option(str(month))
    await page.get_by_role("button", name="Anzeigen").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(str(now.year))
    await expect(page).to_have_url(re.compile(rf"from={month}&to={month}"))
    await expect(source.get_by_role("row", name="plakat < 5")).to_be_visible()

    await page.get_by_role("link", name=f"Jahresbericht {now.year} zum Drucken").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Jahresbericht {now.year}: anonyme Statistik"
    )
    await assert_accessible(page, "on the yearly report")
    await page.emulate_media(media="print")
    await expect(page.locator(".site-header")).to_be_hidden()
    await expect(page.get_by_text("Zum Drucken oder Speichern")).to_be_hidden()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await page.screenshot(path=str(shots / "statistics-report-print.png"), full_page=True)
    await page.emulate_media(media="screen")


@pytest.mark.timeout(60)
async def test_statistics_page_needs_no_script_and_breaks_no_csp_rule(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    """Without JavaScript and under the real CSP (no bypass): no violation is reported."""
    context = await make_context(viewport=DESKTOP, java_script_enabled=False)
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    await log_in_as_new_admin(page, server, tmp_path, "browser-admin-2", scripts=False)
    await page.goto(f"{server.url}/console/statistics")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Statistik")
    await page.goto(f"{server.url}/console/statistics/report")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Jahresbericht")
    assert not [p for p in problems if "Content Security Policy" in p], problems
