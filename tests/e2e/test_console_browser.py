"""The counsellors' console in a real browser against a real `anlaufstelle serve`: set up an
invited account (password + authenticator), log in, open the queue and a case, answer and
close it, by keyboard and mouse; axe-core checks WCAG 2.1 A/AA on every page."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

import pyotp  # noqa: E402
from playwright.async_api import Page, expect  # noqa: E402

from tests.e2e.chat import MESSAGE_LABEL, SEND, Chat  # noqa: E402
from tests.e2e.helpers import (  # noqa: E402
    ACCOUNT_DE,
    INTAKE_DE,
    MakeContext,
    Server,
    assert_accessible,
    intake_over_websocket,
    invite,
    open_setup_link,
)
from tests.e2e.test_statistics_browser import log_in_as_new_admin  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),  # one worker: one Chromium, one server per run
]

PASSWORD = "ein sehr langes Passwort"
DESKTOP = {"width": 1280, "height": 900}


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

    await open_setup_link(page, link)
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
    await page.get_by_label("Ergebnis").select_option("resolved")
    await page.locator("#confirm-close").check()
    await page.get_by_role("button", name="Fall abschließen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Warteschlange")

    await page.get_by_role("button", name=re.compile("^Abmelden")).click()
    await expect(page.get_by_role("status")).to_contain_text("abgemeldet")


def cli(server: Server, *args: str) -> str:
    exe = Path(sys.executable).with_name("anlaufstelle")
    result = subprocess.run(
        [str(exe), *args], env=server.env, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.timeout(240)
async def test_from_the_web_chat_to_a_closed_and_deleted_case(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path
) -> None:
    """Issue #4, item 9: the whole way of a case, with both sides in real browser pages."""
    # Deleted at the next housekeeping run after closing, so the test can watch it go.
    server = make_server(ANLAUFSTELLE_RETENTION_DAYS="0")
    await server.astart()
    counsellor = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    person = await (await make_context()).new_page()

    # The counsellor sets up the account and logs in with password and TOTP; the queue is empty.
    await open_setup_link(counsellor, invite(server, tmp_path, "e2e-region"))
    secret = await counsellor.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    await counsellor.get_by_label("Neues Passwort").fill(PASSWORD)
    await counsellor.get_by_label("Passwort wiederholen").fill(PASSWORD)
    await counsellor.get_by_label("Code, den die App jetzt anzeigt").fill(
        await code_for(counsellor)
    )
    await counsellor.get_by_role("button", name="Konto einrichten").click()
    await counsellor.goto(f"{server.url}/console/login")
    await assert_accessible(counsellor, "on the login page")
    await counsellor.get_by_label("Benutzername").fill("e2e-region")
    await counsellor.get_by_label("Passwort").fill(PASSWORD)
    totp = pyotp.TOTP(secret)
    await counsellor.get_by_label("Code aus der Authenticator-App").fill(totp.at(time.time() + 30))
    await counsellor.get_by_role("button", name="Anmelden").click()
    await expect(counsellor.get_by_role("heading", level=1)).to_have_text("Warteschlange")
    await expect(counsellor.get_by_text("Keine offenen Fälle.")).to_be_visible()

    # The person does the intake in the web chat.
    chat = Chat(person)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE)
    await chat.case_code()
    case_id = server.cases()[-1]["id"]

    # The case shows up at the top of the open queue page without a reload.
    first = counsellor.get_by_role("link", name=re.compile(r"^Fall \d+$")).first
    await expect(first).to_have_text(f"Fall {case_id}", timeout=15_000)
    await expect(counsellor).to_have_title(re.compile(r"^\(1\) Warteschlange"))
    await assert_accessible(counsellor, "on the queue with a case")
    await first.click()
    await counsellor.get_by_role("button", name="Fall übernehmen").click()
    transcript = counsellor.locator("#transcript")
    await expect(transcript).to_contain_text(ACCOUNT_DE)
    await assert_accessible(counsellor, "on the claimed case")
    reply = "Guten Tag, hier ist die Beratung. Wann passt Ihnen ein Gespräch?"
    await counsellor.get_by_label("Nachricht an die Person").fill(reply)
    # Typing shows on the person's side (never what is typed).
    await expect(person.get_by_role("status").filter(has_text="schreibt")).to_be_visible()
    await counsellor.get_by_role("button", name="Senden").click()

    # The person reads the reply and answers; the counsellor's open page shows it live.
    await expect(chat.line(reply)).to_be_visible(timeout=15_000)
    answer = "Am Montag vormittags, danke!"
    await chat.composer.get_by_label(MESSAGE_LABEL).fill(answer)
    await expect(counsellor.get_by_text("Die Person schreibt gerade")).to_be_visible()
    await chat.composer.get_by_role("button", name=SEND, exact=True).click()
    await expect(transcript).to_contain_text(answer, timeout=15_000)
    assert "Neu laden" not in await counsellor.locator("#live:visible").all_inner_texts()

    # Close with the documentation: the person's ground is preselected, the rest is added.
    grounds = counsellor.get_by_role("group", name="Merkmale")
    await expect(grounds.get_by_label("Behinderung")).to_be_checked()
    await (
        counsellor.get_by_role("group", name="Form der Diskriminierung")
        .get_by_label("Unmittelbare Benachteiligung")
        .check()
    )
    await (
        counsellor.get_by_role("group", name="Was die Beratungsstelle getan hat")
        .get_by_label("Beratungsgespräch")
        .check()
    )
    await counsellor.get_by_label("Ergebnis").select_option("resolved")
    await assert_accessible(counsellor, "on the case with the close form filled in")
    await counsellor.locator("#confirm-close").check()
    await counsellor.get_by_role("button", name="Fall abschließen").click()
    await expect(counsellor.get_by_role("heading", level=1)).to_have_text("Warteschlange")

    # The anonymous counters moved; nothing the person wrote is in them.
    counted = cli(server, "stats")
    for dimension, value in [
        ("cases", "closed"),
        ("grounds", "disability"),
        ("life_area", "housing"),
        ("form", "direct"),
        ("intervention", "counselling"),
        ("outcome", "resolved"),
        ("channel", "webchat"),
    ]:
        assert re.search(rf"\s{dimension}\s+{value}\s+< 5\n", counted), (dimension, counted)
    assert "Vermieterin" not in counted and "Montag" not in counted

    # Retention runs: the case and its transcript are gone, only the counters stay.
    cli(server, "purge")
    assert case_id not in [row["id"] for row in server.cases()]
    gone = await counsellor.goto(f"{server.url}/console/cases/{case_id}")
    assert gone is not None and gone.status == 404
    assert "grounds" in cli(server, "stats")


@pytest.mark.timeout(120)
async def test_the_audit_log_page_is_accessible_and_filters(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    link = invite(server, tmp_path, "browser-admin", role="admin")
    await intake_over_websocket(server)
    await open_setup_link(page, link)
    secret = await page.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    await page.get_by_label("Neues Passwort").fill(PASSWORD)
    await page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    await page.get_by_label("Code, den die App jetzt anzeigt").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Konto einrichten").click()
    await page.get_by_role("link", name="Zur Anmeldung").click()
    await page.get_by_label("Benutzername").fill("browser-admin")
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_label("Code aus der Authenticator-App").fill(
        pyotp.TOTP(secret).at(time.time() + 30)
    )
    await page.get_by_role("button", name="Anmelden").click()
    await page.get_by_role("link", name=re.compile(r"^Fall \d+$")).first.click()
    heading = await page.get_by_role("heading", level=1).text_content()
    assert heading
    case_id = heading.removeprefix("Fall ")

    await page.get_by_role("link", name="Protokoll").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll")
    table = page.get_by_role("table", name=re.compile("Protokolleinträge"))
    await expect(table).to_contain_text("Fall geöffnet (entschlüsselt)")
    await expect(table).to_contain_text("browser-admin")
    await assert_accessible(page, "on the audit log")

    await page.get_by_label("Fallnummer").fill(case_id)
    await page.get_by_label("Wer").select_option(label="System")
    await page.keyboard.press("Enter")
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table).to_contain_text("Fall angelegt")
    await assert_accessible(page, "on the filtered audit log")
    await page.get_by_label("Fallnummer").fill("zwei")
    await page.get_by_role("button", name="Filtern").click()
    await expect(page.get_by_role("alert")).to_contain_text("Fallnummer ist eine Zahl")
    await assert_accessible(page, "on the audit log with a filter error")


@pytest.mark.timeout(120)
async def test_translations_page_is_accessible(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    link = invite(server, tmp_path, "browser-translator", role="admin")
    await open_setup_link(page, link)
    secret = await page.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    await page.get_by_label("Neues Passwort").fill(PASSWORD)
    await page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    await page.get_by_label("Code, den die App jetzt anzeigt").fill(await code_for(page))
    await page.get_by_role("button", name="Konto einrichten").click()
    await page.get_by_role("link", name="Zur Anmeldung").click()
    await page.get_by_label("Benutzername").fill("browser-translator")
    await page.get_by_label("Passwort").fill(PASSWORD)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    await page.get_by_label("Code aus der Authenticator-App").fill(code)
    await page.get_by_role("button", name="Anmelden").click()

    await page.get_by_role("link", name="Übersetzungen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Übersetzungen")
    await expect(page.get_by_role("table")).to_contain_text("node:consent:text")
    await assert_accessible(page, "on the translations page")
    await page.get_by_label(
        "Nur fehlende, veraltete und nicht geprüfte Übersetzungen zeigen"
    ).check()
    await page.get_by_role("button", name="Anwenden").click()
    # Nothing is missing or outdated; the six new languages still wait for a speaker's review.
    await expect(page.get_by_role("table")).to_contain_text("nicht geprüft")
    await expect(page.get_by_role("caption")).to_contain_text(
        "nur fehlende, veraltete und nicht geprüfte"
    )
    await assert_accessible(page, "on the translations page, filtered")
    # An upload of a file that is not PO: refused with its line, the page stays accessible.
    bad = tmp_path / "en.po"
    bad.write_text("das ist kein PO\n", encoding="utf-8")
    await page.get_by_label("Sprache", exact=True).select_option("en")
    await page.get_by_label("PO-Datei").set_input_files(str(bad))
    await page.get_by_role("button", name="Importieren und veröffentlichen").click()
    await expect(page.get_by_role("alert")).to_contain_text("Zeile 1")
    await assert_accessible(page, "on the translations page with an import error")


@pytest.mark.timeout(180)
async def test_the_typing_hint_ends_when_the_counsellors_reply_arrives(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    person = await (await make_context()).new_page()
    typing_frames: list[str] = []
    person.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda f: typing_frames.append(str(f)) if '"typing"' in str(f) else None,
        ),
    )
    chat = Chat(person)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE)
    await chat.case_code()
    case_id = server.cases()[-1]["id"]
    counsellor = await (await make_context(viewport=DESKTOP)).new_page()
    await log_in_as_new_admin(counsellor, server, tmp_path, "typing-admin")
    await counsellor.goto(f"{server.url}/console/cases/{case_id}")
    await counsellor.get_by_role("button", name="Fall übernehmen").click()
    reply = "Guten Tag, hier ist die Beratung."
    await counsellor.get_by_label("Nachricht an die Person").fill(reply)
    hint = person.get_by_role("status").filter(has_text="schreibt")
    await expect(hint).to_be_visible()
    await counsellor.get_by_role("button", name="Senden").click()
    await expect(chat.line(reply)).to_be_visible(timeout=15_000)
    # The reply is what the hint announced: it goes with the reply, not seconds later (the
    # hint of one typing signal lasts 4 s).
    await expect(hint).to_have_count(0, timeout=500)
    # A typing signal that arrives after the reply (the console sends it as a request of its
    # own, which the reply can overtake) does not bring the hint back.
    await counsellor.wait_for_url(re.compile(rf"/console/cases/{case_id}"))
    before = len(typing_frames)
    await counsellor.evaluate(LATE_TYPING_JS)
    for _ in range(50):
        if len(typing_frames) > before:
            break
        await person.wait_for_timeout(100)
    assert len(typing_frames) > before, "the late typing signal never reached the page"
    await person.wait_for_timeout(300)  # the page has handled the frame
    await expect(hint).to_have_count(0, timeout=100)
    # The counsellor writing again later shows it again.
    await person.wait_for_timeout(3_000)
    await counsellor.evaluate(LATE_TYPING_JS)
    await expect(hint).to_be_visible()


LATE_TYPING_JS = """() => {
  const url = document.querySelector('[data-poll]').getAttribute('data-poll')
    .replace(/status\\.json$/, 'typing');
  const csrf = document.querySelector('input[name=csrf]').value;
  return fetch(url, {method: 'POST', credentials: 'same-origin',
                     headers: {'X-CSRF-Token': csrf}}).then(r => r.status);
}"""


@pytest.mark.timeout(120)
async def test_a_refused_invitation_keeps_the_form_and_points_at_the_fault(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    await log_in_as_new_admin(page, server, tmp_path, "einladerin")
    await page.get_by_role("link", name="Verwaltung").click()
    form = page.locator('form[action="/console/office/invite"]')
    team = form.get_by_role("checkbox").first
    # Counselling without a team is refused; the name stays, the team choice has the focus.
    await form.get_by_label("Benutzername").fill("ohne.team")
    await form.get_by_label("Rolle").select_option(label="Beratung")
    await form.get_by_role("button", name="Einladungslink erstellen").click()
    await expect(form.get_by_role("alert")).to_contain_text("mindestens ein Team")
    await expect(form.get_by_label("Benutzername")).to_have_value("ohne.team")
    await expect(team).to_be_focused()
    await expect(team).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page, "on the office page with a refused invitation")
    # A name that is taken: role and team stay as chosen, the name has the focus.
    await team.check()
    await form.get_by_label("Benutzername").fill("einladerin")
    await form.get_by_label("Rolle").select_option(label="Administration")
    await form.get_by_role("button", name="Einladungslink erstellen").click()
    await expect(form.get_by_role("alert")).to_contain_text("gibt es schon")
    name = form.get_by_label("Benutzername")
    await expect(name).to_be_focused()
    await expect(name).to_have_value("einladerin")
    await expect(name).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_label("Rolle")).to_have_value("admin")
    await expect(team).to_be_checked()
    await expect(team).not_to_have_attribute("aria-invalid", "true")
