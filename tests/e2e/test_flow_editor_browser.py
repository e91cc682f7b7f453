"""The admins' flow editor in a real browser against a real `anlaufstelle serve`: change a
question's German text, see a validation error for a broken reference with its line and
column, fix it, play the change in the chat preview, publish it, see that a web chat started
before keeps the old text while a new one shows the new text, and roll back. axe-core checks
WCAG 2.1 A/AA on the editor and the diagram page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

import pyotp  # noqa: E402
from playwright.async_api import Page, expect  # noqa: E402

from tests.e2e.chat import Chat  # noqa: E402
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

OLD = "Sind Sie gerade jetzt in Gefahr?"
NEW = "Sind Sie in diesem Moment in Gefahr?"
LANGUAGE_QUESTION = "In welcher Sprache"
CONSENT_QUESTION = "• Wir speichern nur Ihre Antworten"
CONSENT_YES = "Ja, ich bin einverstanden"
PASSWORD = "ein sehr langes Passwort"
DESKTOP = {"width": 1280, "height": 900}


async def log_in_as_admin(page: Page, server: Server, tmp_path: Path) -> None:
    link = invite(server, tmp_path, "browser-admin", role="admin")
    await open_setup_link(page, link)
    secret = await page.locator("#totp-secret").get_attribute("data-secret")
    assert secret
    totp = pyotp.TOTP(secret)
    await page.get_by_label("Neues Passwort").fill(PASSWORD)
    await page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    await page.get_by_label("Code, den die App jetzt anzeigt").fill(totp.now())
    await page.get_by_role("button", name="Konto einrichten").click()
    await page.get_by_role("link", name="Zur Anmeldung").click()
    await page.get_by_label("Benutzername").fill("browser-admin")
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_label("Code aus der Authenticator-App").fill(totp.at(time.time() + 30))
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Warteschlange")


async def person_at_consent(make_context: MakeContext, server: Server) -> Chat:
    chat = Chat(await (await make_context()).new_page())
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse([("one", LANGUAGE_QUESTION, ["Deutsch"])])
    await chat.wait_for_question(CONSENT_QUESTION)
    return chat


async def danger_question_after_consent(chat: Chat) -> None:
    await chat.click_answer("one", [CONSENT_YES])
    await expect(chat.own_lines(CONSENT_YES).last).to_be_visible()


@pytest.mark.timeout(400)
async def test_edit_validate_preview_publish_and_roll_back_a_flow(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path, shots: Path
) -> None:
    # A private server: publishing changes the intake that the other browser tests rely on.
    server = make_server()
    await server.astart()
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    await log_in_as_admin(page, server, tmp_path)
    before = await person_at_consent(make_context, server)

    await page.get_by_role("link", name="Dialoge").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dialoge")
    await page.get_by_role("link", name="intake", exact=True).click()
    await page.get_by_role("button", name="Entwurf aus der aktuellen Version anlegen").click()
    await expect(page.get_by_role("status")).to_contain_text("Der Entwurf ist angelegt")
    await assert_accessible(page, "on the YAML editor")

    # The German text of a question, in the structured editor.
    await page.get_by_role("link", name="Entwurf (Knoten)").click()
    await page.get_by_role("link", name="in_danger", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Knoten in_danger (Krisenfrage)"
    )
    await assert_accessible(page, "on the node editor")
    await page.get_by_label("Text (Deutsch)", exact=True).fill(NEW)
    await page.get_by_role("button", name="Knoten speichern").click()
    await expect(page.get_by_role("status")).to_contain_text("gespeichert")
    await expect(page.get_by_label("Text (Deutsch)", exact=True)).to_have_value(NEW)
    await page.screenshot(path=str(shots / "flow-editor.png"), full_page=False)

    # A broken reference, in the YAML view: shown with line and column, not publishable.
    await page.get_by_role("link", name="Entwurf (YAML)").click()
    source = page.get_by_label("YAML des Entwurfs")
    text = await source.input_value()
    start = text.index("- id: in_danger")
    nxt = re.compile(r"\n *next: (\w+)\n").search(text, start)
    assert nxt
    broken = text[: nxt.start(1)] + "nirgendwo" + text[nxt.end(1) :]
    # The whole intake (nine languages) in one textarea: on a loaded 2-core machine filling
    # it has taken over 30 s (a wait for the page, not a measure of speed).
    await source.fill(broken, timeout=90_000)
    await page.get_by_role("button", name="Entwurf speichern").click()
    line = broken[: nxt.start(1)].count("\n") + 1
    column = nxt.start(1) - broken.rindex("\n", 0, nxt.start(1))
    errors = page.get_by_role("region", name=re.compile("Fehler im Entwurf"))
    await expect(errors).to_contain_text(f"Zeile {line}, Spalte {column}")
    await expect(errors).to_contain_text("Knoten in_danger, Feld next")
    await expect(errors).to_contain_text("Der Knoten „nirgendwo“ ist unbekannt")
    await expect(page.locator("#cannot-publish")).to_be_visible()
    await assert_accessible(page, "on the YAML editor with errors")

    await source.fill(broken.replace("nirgendwo", nxt.group(1)), timeout=90_000)
    await page.get_by_role("button", name="Entwurf speichern").click()
    await expect(page.locator("#valid")).to_have_text("Der Entwurf ist fehlerfrei.")

    # The diagram of the draft.
    await page.get_by_role("link", name="Diagramm", exact=True).click()
    await expect(
        page.get_by_role("img", name=re.compile("Diagramm des Dialogs intake"))
    ).to_be_visible()
    await expect(page.get_by_role("heading", name="Knoten und ihre Nachfolger")).to_be_visible()
    await assert_accessible(page, "on the diagram page")

    # The preview: the chat page, marked as a preview, playing the draft.
    await page.get_by_role("link", name="Entwurf (YAML)").click()
    await page.get_by_role("link", name="Vorschau im Chat: Deutsch").click()
    banner = page.locator("#preview-banner")
    await expect(banner).to_contain_text("Vorschau")
    preview = Chat(page)
    # The real chat (chat.js, on the preview's own socket) starts by itself; the preview was
    # opened in German, so the language question is answered by that choice.
    await preview.wait_for_question(CONSENT_QUESTION)
    # Connected, live: "Verbindung wird aufgebaut …" shows after 1.5 s and goes with the
    # welcome, which on a loaded machine may take longer than expect's default 5 s.
    await expect(page.locator("#connection-status")).to_be_empty(timeout=30_000)
    await page.keyboard.press("Escape")  # leaves the public chat, never the console
    await danger_question_after_consent(preview)
    await preview.wait_for_question(NEW)
    assert "/console/flows/intake/preview" in page.url
    await page.mouse.wheel(0, 3000)
    await expect(banner).to_be_in_viewport()  # says "preview" all the time
    await assert_accessible(page, "on the preview")
    await page.screenshot(path=str(shots / "flow-preview.png"), full_page=False)
    assert server.cases() == []
    await page.get_by_role("link", name="Zurück zum Editor").click()

    # The German question changed, its eight translations did not: said before publishing,
    # and published only once the admin confirms.
    warning = page.get_by_role("region", name="Übersetzungen sind nicht auf dem neuen Stand")
    await expect(warning).to_contain_text("1 Text in 8 Sprachen ist veraltet.")
    await expect(warning).to_contain_text("Türkisch: 1 veraltet")
    await expect(warning.get_by_role("link", name="Übersetzungen")).to_have_attribute(
        "href", "/console/translations"
    )
    await page.get_by_label("Änderungsnotiz (Pflicht)").fill("Gefahrfrage klarer")
    await warning.scroll_into_view_if_needed()
    await page.screenshot(path=str(shots / "flow-publish-outdated.png"), full_page=False)
    await page.get_by_role("button", name="Als neue Version veröffentlichen").click()
    assert "/draft" in page.url  # the browser asks for the tick first
    await page.get_by_label(re.compile("Ja, trotzdem veröffentlichen")).check()
    await page.get_by_role("button", name="Als neue Version veröffentlichen").click()
    await expect(page.get_by_role("status")).to_contain_text("veröffentlicht")
    await expect(page.get_by_role("rowheader", name="Version 2 (aktuell)")).to_be_visible()

    # The conversation started before keeps its version; a new one gets the new text.
    await danger_question_after_consent(before)
    await before.wait_for_question(OLD)
    after = await person_at_consent(make_context, server)
    await danger_question_after_consent(after)
    await after.wait_for_question(NEW)

    await page.locator("#confirm-rollback-1").check()
    await page.get_by_role("button", name="Zu Version 1 zurückkehren").click()
    await expect(page.get_by_role("status")).to_contain_text("frühere Version")
    row = page.get_by_role("row", name=re.compile("Version 3 \\(aktuell\\)"))
    await expect(row).to_contain_text("Rückkehr zu Version 1")
    again = await person_at_consent(make_context, server)
    await danger_question_after_consent(again)
    await again.wait_for_question(OLD)


@pytest.mark.timeout(300)
async def test_preview_again_in_the_same_tab_after_the_draft_was_discarded_and_started_anew(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path
) -> None:
    """Found in an admin walk-through: the second preview in the same tab showed no line
    and no buttons, reloading did not help (it resumed the discarded draft's preview, and
    chat.js stopped at the case code form, which a preview has not)."""
    server = make_server()  # a private server: the other browser tests need no draft
    await server.astart()
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    await log_in_as_admin(page, server, tmp_path)
    await page.get_by_role("link", name="Dialoge").click()
    await page.get_by_role("link", name="intake", exact=True).click()
    preview = Chat(page)
    for _ in range(2):
        await page.get_by_role("button", name="Entwurf aus der aktuellen Version anlegen").click()
        await expect(page.get_by_role("status")).to_contain_text("Der Entwurf ist angelegt")
        await page.get_by_role("link", name="Vorschau im Chat: Deutsch").click()
        # The new draft's dialog from its start, not the discarded draft's preview.
        await preview.wait_for_question(CONSENT_QUESTION)
        await expect(preview.own_lines(CONSENT_YES)).to_have_count(0)
        await danger_question_after_consent(preview)
        # Reloaded, the same draft's preview goes on where it was.
        await page.reload()
        await expect(preview.own_lines(CONSENT_YES)).to_have_count(1)
        await expect(page.get_by_role("button", name="Nein")).to_be_visible()
        await page.get_by_role("link", name="Zurück zum Editor").click()
        await page.get_by_label(re.compile("Ja, den Entwurf mit 0 Änderungen")).check()
        await page.get_by_role("button", name="Entwurf verwerfen").click()
        await expect(page.get_by_role("status")).to_contain_text("verworfen")


@pytest.mark.timeout(300)
async def test_the_preview_shows_the_offices_contact_where_the_flow_says_office_contact(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path, shots: Path
) -> None:
    # The preview plays the draft as a person sees it: declining consent gives the office's
    # contact from the settings, never the raw placeholder.
    server = make_server(ANLAUFSTELLE_OFFICE_CONTACT__PHONE="0511 616-12345")
    await server.astart()
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    await log_in_as_admin(page, server, tmp_path)
    await page.get_by_role("link", name="Dialoge").click()
    await page.get_by_role("link", name="intake", exact=True).click()
    await page.get_by_role("button", name="Entwurf aus der aktuellen Version anlegen").click()
    await page.get_by_role("link", name="Vorschau im Chat: Deutsch").click()
    preview = Chat(page)
    await preview.wait_for_question(CONSENT_QUESTION)
    await preview.click_answer("one", ["Nein"])
    farewell = preview.line("Sie können jederzeit wiederkommen")
    await expect(farewell).to_contain_text("Telefon: 0511 616-12345")
    await expect(farewell.get_by_role("link", name="0511 616-12345")).to_have_attribute(
        "href", "tel:051161612345"
    )
    await expect(preview.log).not_to_contain_text("{office_contact}")
    await page.screenshot(path=str(shots / "flow-preview-declined.png"))


@pytest.mark.timeout(300)
async def test_an_emptied_text_saved_in_the_node_editor_is_announced_and_focused(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path, shots: Path
) -> None:
    """Found in an admin walk-through: saving an empty German text showed a green
    "gespeichert" and left the focus on the page, the error beside the field unannounced."""
    server = make_server()
    await server.astart()
    page = await (
        await make_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    ).new_page()
    await log_in_as_admin(page, server, tmp_path)
    await page.get_by_role("link", name="Dialoge").click()
    await page.get_by_role("link", name="intake", exact=True).click()
    await page.get_by_role("button", name="Entwurf aus der aktuellen Version anlegen").click()
    await page.get_by_role("link", name="Übersicht und Versionen").click()
    actions = page.get_by_role("region", name="Entwurf testen und veröffentlichen")
    await expect(actions.get_by_role("link", name="Zum Veröffentlichen")).to_have_attribute(
        "href", "/console/flows/intake/draft#publish"
    )
    await page.screenshot(path=str(shots / "flow-overview-draft.png"), full_page=False)
    await page.get_by_role("link", name="Entwurf (Knoten)").click()
    await expect(actions.get_by_role("link", name=re.compile("^Deutsch"))).to_be_visible()
    await page.get_by_role("link", name="account", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Knoten account (Freitext)")
    await expect(page.get_by_label("Weiter zu")).to_be_visible()
    await page.get_by_label("Text (Deutsch)", exact=True).fill("")
    await page.get_by_role("button", name="Knoten speichern").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Gespeichert, aber mit 1 Fehler an diesem Knoten.")
    await expect(page.get_by_text("Der Entwurf ist gespeichert.")).to_have_count(0)
    german = page.get_by_label("Text (Deutsch)", exact=True)
    await expect(german).to_be_focused()
    await expect(german).to_have_attribute("aria-invalid", "true")
    await expect(german).to_have_accessible_description(re.compile("Der Text für „de“ ist leer"))
    await assert_accessible(page, "on the node editor after a save with an error")
    await page.screenshot(path=str(shots / "node-empty-save.png"), full_page=False)
    await actions.scroll_into_view_if_needed()
    await page.screenshot(path=str(shots / "node-actions.png"), full_page=False)
    # Discarding asks first and says what would be lost.
    await page.get_by_role("link", name="Entwurf (YAML)").click()
    await expect(page.locator("#discard-what")).to_contain_text(
        "Verloren geht 1 gespeicherte Änderung"
    )
    await page.get_by_role("button", name="Entwurf verwerfen").click()
    assert "/draft" in page.url  # nothing discarded without the tick
    await page.get_by_label(re.compile("Ja, den Entwurf mit 1 Änderung")).check()
    await page.get_by_role("button", name="Entwurf verwerfen").click()
    await expect(page.get_by_role("status")).to_contain_text("verworfen")
