"""The case page in a real browser at 1280 px and at 320 px (WCAG reflow): the AGG deadline
state and the incident date correction, the language by name, the confirming ticks, the
transcript without empty person lines; axe-core 0 violations at both widths."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.e2e.helpers import (  # noqa: E402
    INTAKE_FRAMES,
    MakeContext,
    Server,
    assert_accessible,
    intake_over_websocket,
)
from tests.e2e.test_statistics_browser import log_in_as_new_admin  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),  # one worker: one Chromium, one server per run
]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("width", [1280, 320])
async def test_case_page_states_and_confirmations_at_both_widths(
    server: Server, make_context: MakeContext, tmp_path: Path, width: int
) -> None:
    page = await (
        await make_context(bypass_csp=True, viewport={"width": width, "height": 900})
    ).new_page()
    await intake_over_websocket(server)
    case_id = max(row["id"] for row in server.cases())
    # An admin in team region: the console's reader of the case here.
    await log_in_as_new_admin(page, server, tmp_path, f"fallseite-{width}")
    await expect(page.locator("td.deadline").first).to_be_visible()
    # What the case is about, from the queue: the life area and the grounds, in words.
    row = page.locator("tr", has=page.locator(f'a[href="/console/cases/{case_id}"]'))
    about = row.locator("td.about .about-fact")
    await expect(about).to_have_text(
        ["Lebensbereich: Wohnen oder Wohnungssuche", "Merkmale: Behinderung"]
    )
    await page.screenshot(path=str(tmp_path / f"queue-{width}.png"), full_page=True)
    await assert_accessible(page, f"on the queue at {width} px")

    await page.goto(f"{server.url}/console/cases/{case_id}")
    await expect(page.locator("#deadline")).to_contain_text(re.compile(r"^noch \d+ Tage"))
    await expect(page.locator("#language")).to_contain_text("Bitte antworten Sie auf Deutsch")
    for text in await page.locator(".transcript li.person .text").all_inner_texts():
        assert text.strip(), "an empty person line is shown"
    await page.get_by_role("button", name="Fall übernehmen").click()
    await expect(page.get_by_role("status").first).to_contain_text("übernommen")
    await assert_accessible(page, f"on a claimed case at {width} px")
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"the case page scrolls sideways at {width} px ({wide} px)"
    # The facts in the order asked, under short labels, as words.
    sheet = page.locator("#fact-sheet")
    await expect(sheet.locator("dt").first).to_have_text("Sprache")
    await expect(sheet).to_contain_text("Lebensbereich")
    await expect(sheet).to_contain_text("Wohnen oder Wohnungssuche")
    # The bot's questions are folded, the person's answers open.
    await expect(page.locator(".transcript li.folded details").first).not_to_have_attribute(
        "open", ""
    )
    if width >= 1280:
        # Two panes: the conversation beside the facts, the reply box in reach without
        # scrolling, the newest line of the conversation in view.
        reply = await page.locator("#reply-text").bounding_box()
        facts = await page.locator("#fact-sheet").bounding_box()
        assert reply and facts
        assert reply["y"] + reply["height"] <= 900, "the reply box is below the first screen"
        assert facts["x"] > reply["x"] + reply["width"], "the facts are not beside the reply"
        await expect(page.locator(".transcript > li").last).to_be_in_viewport()
        await page.screenshot(path=str(SHOTS / "case-1280.png"))  # the README's picture

    # The date correction: longer ago than two months, so the deadline has run out.
    # The office's today is the field's upper bound: no machine date needed here.
    today = await page.locator("#incident-date").get_attribute("max")
    assert today
    day = date.fromisoformat(today) - timedelta(days=90)
    await page.locator("#incident-date").fill(day.isoformat())
    await page.get_by_role("button", name="Datum speichern").click()
    await expect(page.get_by_role("status").first).to_contain_text("berichtigt")
    await expect(page.locator("#deadline")).to_contain_text(re.compile(r"^abgelaufen seit"))
    await assert_accessible(page, f"after the date correction at {width} px")

    # Release needs its tick: the browser refuses the form without it, nothing happens.
    await page.get_by_role("button", name="Zurück in die Warteschlange").click()
    assert not await page.locator("#confirm-release").evaluate("box => box.validity.valid")
    assert re.search(rf"/console/cases/{case_id}", page.url)
    await page.get_by_label("Ja, ich gebe den Fall zurück.").check()
    await page.get_by_role("button", name="Zurück in die Warteschlange").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Warteschlange")
    await expect(page.locator("#status")).to_have_text("Der Fall ist zurück in der Warteschlange.")
    await assert_accessible(page, f"on the queue with a notice at {width} px")


async def _tab_to(page: Page, name: str, *, limit: int = 40) -> list[str]:
    """The Tab stops from where the focus is up to the element whose text is `name`,
    each as its text (or its role region's id), as a keyboard user meets them."""
    stops: list[str] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        stops.append(
            await page.evaluate(
                "() => { const e = document.activeElement;"
                " return (e.id && !e.innerText.trim()) ? '#' + e.id : e.innerText.trim(); }"
            )
        )
        if stops[-1] == name:
            return stops
    raise AssertionError(f"{name!r} not reached in {limit} Tab stops: {stops}")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("width", [1280, 390])
async def test_the_claim_comes_right_after_the_menu_before_the_transcript(
    server: Server, make_context: MakeContext, tmp_path: Path, width: int
) -> None:
    await intake_over_websocket(server)
    case_id = max(row["id"] for row in server.cases())
    page = await (
        await make_context(bypass_csp=True, viewport={"width": width, "height": 800})
    ).new_page()
    await log_in_as_new_admin(page, server, tmp_path, f"reihenfolge-{width}")
    await page.goto(f"{server.url}/console/cases/{case_id}")
    await _shown(page)
    claim = page.get_by_role("button", name="Fall übernehmen")
    await expect(claim).to_be_in_viewport()
    menu = await page.locator("header.site-header").evaluate(
        "h => [...h.querySelectorAll('a, button')].filter(e => e.offsetParent).length"
    )
    # From the top: the skip link, the menu, then the claim; no line of the transcript first.
    stops = await _tab_to(page, "Fall übernehmen")
    assert len(stops) == 1 + menu + 1, stops
    assert "#transcript-box" not in stops
    # With the skip link: one Tab from the content's start.
    await page.goto(f"{server.url}/console/cases/{case_id}")
    await _shown(page)
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_focused()
    await page.keyboard.press("Enter")
    assert await _tab_to(page, "Fall übernehmen", limit=1)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status").first).to_contain_text("übernommen")
    await expect(claim).to_have_count(0)
    await assert_accessible(page, f"on a case claimed by keyboard at {width} px")
    # Back to the queue: the other tests on this server open its first waiting case.
    await page.get_by_label("Ja, ich gebe den Fall zurück.").check()
    await page.get_by_role("button", name="Zurück in die Warteschlange").click()
    await expect(page.locator("#status")).to_have_text("Der Fall ist zurück in der Warteschlange.")


@pytest.mark.timeout(120)
async def test_a_case_outside_the_agg_says_so_in_queue_and_case(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    police = [
        {"type": "answer", "choices": ["police"]} if f.get("choices") == ["housing"] else f
        for f in INTAKE_FRAMES
    ]
    assert police != INTAKE_FRAMES
    await intake_over_websocket(server, frames=police)
    case_id = max(row["id"] for row in server.cases())
    page = await (
        await make_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    ).new_page()
    await log_in_as_new_admin(page, server, tmp_path, "fallseite-polizei")
    row = page.get_by_role("row", name=re.compile(rf"^Fall {case_id}\b"))
    await expect(row.locator("td.deadline")).to_have_text("kein AGG-Bereich")
    await page.goto(f"{server.url}/console/cases/{case_id}")
    await expect(page.locator("#deadline")).to_contain_text(re.compile(r"^kein AGG-Bereich"))
    await expect(page.locator("#incident-date")).to_have_count(0)
    await assert_accessible(page, "on a case outside the AGG")


async def _shown(page: Page) -> None:
    """Wait until the page that just loaded has been painted, as a person sees it before
    typing: Chromium may still show the previous page (paint holding) and drop keys sent
    to the new one before its first frame, though its DOM and scripts are ready."""
    await page.wait_for_load_state("load")
    await page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


async def test_a_case_from_the_queue_to_a_sent_reply_by_keyboard_alone(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path
) -> None:
    # A server of its own: "n" claims the most urgent case, which the other tests share.
    server = make_server()
    server.start()
    await intake_over_websocket(server)
    page = await (
        await make_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    ).new_page()
    await log_in_as_new_admin(page, server, tmp_path, "tastatur")
    await expect(page.locator("#shortcuts-open")).to_be_visible()
    await page.locator("main").focus()

    # "?" lists the shortcuts; the dialog is accessible and closes with Escape.
    await page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Tastenkürzel")
    await expect(dialog).to_be_visible()
    await assert_accessible(page, "with the shortcuts dialog open")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    # n: the most urgent waiting case; c: claim it; r: into the reply; Ctrl+Enter: send.
    waiting = [row["id"] for row in server.cases() if row["status"] == "waiting"]
    await expect(page.locator("#shortcuts-open")).to_be_visible()
    await page.keyboard.press("n")
    await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d+$"))
    assert int(page.url.rsplit("/", 1)[-1].split("?")[0]) in waiting
    await expect(page.locator("#shortcuts-open")).to_be_visible()  # the shortcuts are set up
    await _shown(page)
    await page.keyboard.press("c")
    await expect(page.get_by_role("status").first).to_contain_text("übernommen")
    await expect(page.locator("#shortcuts-open")).to_be_visible()
    await _shown(page)
    await page.keyboard.press("r")
    await expect(page.locator("#reply-text")).to_be_focused()
    await page.keyboard.type("Guten Tag, ich bin für Sie da.")
    await page.keyboard.press("Control+Enter")
    await expect(page.get_by_role("status").first).to_have_text("Die Nachricht ist unterwegs.")
    await expect(page.locator("#shortcuts-open")).to_be_visible()
    await _shown(page)

    # Letters typed in a field stay in the field.
    await page.keyboard.press("r")
    await expect(page.locator("#reply-text")).to_be_focused()
    await page.keyboard.type("nq")
    await expect(page.locator("#reply-text")).to_have_value("nq")

    # Switched off in the dialog, single letters do nothing (WCAG 2.1.4), also after a reload.
    await page.get_by_role("button", name="Tastenkürzel").click()
    await dialog.get_by_label("Kürzel mit einzelnen Buchstaben verwenden").uncheck()
    await dialog.get_by_role("button", name="Schließen").click()
    await page.reload()
    await expect(page.locator("#shortcuts-open")).to_be_visible()
    await _shown(page)
    await page.locator("main").focus()
    before = page.url
    await page.keyboard.press("q")
    await page.wait_for_timeout(300)
    assert page.url == before


@pytest.mark.timeout(120)
async def test_marking_abuse_and_lifting_it_in_the_browser(
    server: Server, make_context: MakeContext, tmp_path: Path
) -> None:
    await intake_over_websocket(server)
    case_id = max(row["id"] for row in server.cases())
    page = await (
        await make_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    ).new_page()
    await log_in_as_new_admin(page, server, tmp_path, "missbrauch")
    await page.goto(f"{server.url}/console/cases/{case_id}")
    section = page.locator("#block-form")
    await section.get_by_label("Grund").select_option("spam")
    await section.get_by_label(
        "Ja, ich markiere die Nachrichten dieser Person als Missbrauch."
    ).check()
    await section.get_by_role("button", name="Als Missbrauch markieren").click()
    await expect(page.locator("#status")).to_contain_text("zurückgehalten")
    await expect(page.locator("#blocked")).to_be_visible()
    await assert_accessible(page, "on a case whose messages are held")
    await page.get_by_label(
        "Ja, die Nachrichten dieser Person sollen das Team wieder erreichen."
    ).check()
    await page.get_by_role("button", name="Sperre aufheben").click()
    await expect(page.locator("#status")).to_contain_text("Sperre ist aufgehoben")
    await expect(page.locator("#blocked")).to_have_count(0)
