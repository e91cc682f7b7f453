"""Helpers for the browser tests: a real `anlaufstelle serve` process, and axe-core."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.serve import Server as Server  # re-exported for the browser tests

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
RTL_FLOW = HERE / "flows" / "rtl.yaml"
AXE_JS = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("ANLAUFSTELLE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]
PHONE = {"width": 390, "height": 844}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

MakeContext = Callable[..., Awaitable["BrowserContext"]]
"""The `make_context` fixture: `await make_context(**options)` is a new browser context."""


# ============================================================================ skip or fail


def _required() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(reason: str, *, module: bool = False) -> NoReturn:
    """Skip locally; in CI a missing browser tool is an error, never a silent skip."""
    if _required():
        pytest.fail(f"{reason}\n(CI must run the browser tests, not skip them)", pytrace=False)
    pytest.skip(f"{reason} (run scripts/install-test-deps)", allow_module_level=module)


def require_playwright() -> None:
    """Call at the top of a test module, before importing Playwright."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        unavailable("Playwright for Python is not installed", module=True)


# ============================================================================ servers

# The server process lives in tests/serve.py, shared with the crash test.


# ============================================================================ axe-core


async def axe(page: Page) -> list[dict[str, Any]]:
    """WCAG 2.1 A/AA violations axe-core finds on the page as it is now.

    The page's context must be made with bypass_csp=True: the chat's CSP rightly refuses
    injected scripts."""
    if not AXE_JS.exists():
        unavailable(f"axe-core not found at {AXE_JS}")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = await page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                        resultTypes: ['violations']})""",
        WCAG_TAGS,
    )
    return list(result["violations"])


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']}  <{v.get('helpUrl', '')}>")
        for node in v.get("nodes", [])[:8]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            lines.append(f"    {target}\n      {node.get('html', '')[:200]}\n      {summary}")
    return "\n".join(lines)


async def assert_accessible(page: Page, where: str) -> None:
    violations = await axe(page)
    assert not violations, f"axe-core: WCAG 2.1 A/AA violations {where}:\n" + describe_violations(
        violations
    )


# ============================================================================ the intake

CASE_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
RESPONSE_TIME_DE = "in der Regel innerhalb von zwei Werktagen"
ACCOUNT_DE = "Die Vermieterin hat mir die Wohnung nicht gegeben, als sie meinen Rollstuhl sah."

# The shipped intake in German, as a person answers it: (kind, the question's first words,
# the labels picked). "one" is a single choice, "many" ticks boxes and confirms, "text" types.
INTAKE_DE: list[tuple[str, str, list[str]]] = [
    ("one", "In welcher Sprache", ["Deutsch"]),
    ("one", "• Wir speichern nur Ihre Antworten", ["Ja, ich bin einverstanden"]),
    ("one", "Sind Sie gerade jetzt in Gefahr?", ["Nein"]),
    ("one", "Wann ist es passiert?", ["In den letzten 7 Tagen"]),
    ("many", "In welchem Bereich", ["Wohnen oder Wohnungssuche"]),
    ("one", "In welcher Stadt oder Gemeinde", ["Garbsen"]),
    ("many", "Was glauben Sie, warum", ["Behinderung"]),
    ("text", "Möchten Sie erzählen", [ACCOUNT_DE]),
    ("one", "Wem ist es passiert?", ["Mir selbst"]),
    ("many", "Was wünschen Sie sich", ["Beratung, was ich tun kann"]),
    (
        "one",
        "Wie möchten Sie mit uns in Kontakt bleiben?",
        ["Anonym hier im Chat. Ich schreibe später selbst wieder."],
    ),
    ("one", "Zum Schluss eine freiwillige Frage", ["Internet oder Suchmaschine"]),
]

# The same by choice ids, for a second device that did the intake over the WebSocket.
INTAKE_FRAMES: list[dict[str, Any]] = [
    {"type": "answer", "choice": "de"},
    {"type": "answer", "choice": "accept"},
    {"type": "answer", "choice": "no"},
    {"type": "answer", "choice": "this_week"},
    {"type": "answer", "choices": ["housing"]},
    {"type": "answer", "choice": "garbsen"},
    {"type": "answer", "choices": ["disability"]},
    {"type": "text", "text": ACCOUNT_DE},
    {"type": "answer", "choice": "affected"},
    {"type": "answer", "choices": ["counselling"]},
    {"type": "answer", "choice": "anonymous_chat"},
    {"type": "answer", "choice": "internet"},
]


async def intake_over_websocket(
    server: Server, language: str = "de", frames: list[dict[str, Any]] | None = None
) -> str:
    """Do the whole intake as another device would, over the WebSocket; the case code."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{server.url}/chat/ws", headers={"Origin": server.url}) as ws,
    ):

        async def frame(type_: str) -> dict[str, Any]:
            while True:
                data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.receive_str(), 10))
                if data["type"] == "error":
                    raise AssertionError(f"the service refused a frame: {data}")
                if data["type"] == type_:
                    return data

        await ws.send_json({"type": "hello", "session": None, "language": language})
        await frame("welcome")
        while (await frame("message")).get("kind") != "prompt":
            pass  # the first question
        code = None
        for i, fields in enumerate(INTAKE_FRAMES if frames is None else frames):
            await asyncio.sleep(0.5)  # stay well inside the flood limit (2 frames a second)
            await ws.send_json({"id": f"ws-{i}", **fields})
            while True:
                data = await frame("message")
                if data.get("case_code"):
                    code = str(data["case_code"])
                if data.get("kind") == "prompt" or code:
                    break
        assert code, "the intake over the WebSocket ended without a case code"
        return code


async def open_setup_link(page: Any, link: str, *, scripts: bool = True) -> None:
    """Follow a setup link as a counsellor does: the page's script takes the token from the
    link's fragment and posts it; without scripts the counsellor pastes it into the form."""
    await page.goto(link)
    if not scripts:
        await page.fill("#setup-token", link.split("#", 1)[1])
        await page.click("#setup-start-form button[type=submit]")
    await page.wait_for_selector("#setup-form")


def invite(server: Server, tmp_path: Path, username: str, role: str = "counsellor") -> str:
    """A one-time setup link for a new account in team region, made by the real CLI."""
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
    link = re.search(r"(http://\S+/console/setup#\S+)", result.stdout)
    assert link, result.stdout
    return link.group(1)
