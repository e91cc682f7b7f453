"""Helpers for the browser tests: a real `anlaufstelle serve` process, and axe-core."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One `anlaufstelle serve` process; can be killed and started again on the same port
    and data directory."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ANLAUFSTELLE_")}
        self.env.update(
            ANLAUFSTELLE_DATA_DIR=str(data_dir),
            ANLAUFSTELLE_HOST="127.0.0.1",
            ANLAUFSTELLE_PORT=str(self.port),
            ANLAUFSTELLE_KDF_MEMORY_KIB="1024",
            ANLAUFSTELLE_KDF_TIME_COST="1",
            ANLAUFSTELLE_DELIVERY__POLL_SECONDS="0.1",
            ANLAUFSTELLE_DELIVERY__BACKOFF_INITIAL_SECONDS="0.2",
            ANLAUFSTELLE_DELIVERY__BACKOFF_MAX_SECONDS="1",
            ANLAUFSTELLE_WEBCHAT__EXIT_URL=f"{self.url}/healthz",
            ANLAUFSTELLE_LOG_LEVEL="INFO",
        )
        self.env.update(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def exit_url(self) -> str:
        return self.env["ANLAUFSTELLE_WEBCHAT__EXIT_URL"]

    @property
    def database(self) -> Path:
        return self.data_dir / "anlaufstelle.sqlite3"

    def start(self) -> None:
        """Start the process and wait until /healthz answers (blocking)."""
        self.runs += 1
        exe = Path(sys.executable).with_name("anlaufstelle")
        with (
            (self.data_dir / f"stdout-{self.runs}.txt").open("wb") as out,
            (self.data_dir / f"stderr-{self.runs}.txt").open("wb") as err,
        ):
            self.proc = subprocess.Popen([str(exe), "serve"], env=self.env, stdout=out, stderr=err)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"the service exited at start:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"the service did not answer /healthz:\n{self.output()}")

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, the sockets just drop."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.data_dir.glob("std*-*.txt"))
        )

    def recovery_key(self) -> str:
        """The team recovery key the first start printed."""
        match = re.search(r"recovery key.*\n\s+([0-9A-Z-]{20,})", self.output())
        assert match, self.output()
        return match.group(1)

    def cases(self) -> list[dict[str, Any]]:
        """Every case row, with its plain columns (the content is encrypted)."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT id, team_id, status, channel, language FROM cases ORDER BY id"
            ).fetchall()
        return [dict(r) for r in rows]

    async def queue(self) -> list[Any]:
        """The open cases through the storage API, as the counsellors' console sees them."""
        from storage import cases
        from storage.crypto import KdfParams, ServerKey
        from storage.db import Database
        from storage.store import Store

        db = Database(f"sqlite+aiosqlite:///{self.database}")
        store = Store(db, ServerKey.load(self.data_dir / "server.key"), KdfParams.fast())
        try:
            async with store.tx() as tx:
                return list(await cases.queue(tx))
        finally:
            await db.dispose()


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
    ("one", "Was Sie uns erzählen", ["Ja, ich bin einverstanden"]),
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
        ["Anonym hier im Chat. Ich komme später mit meinem Fall-Code wieder."],
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


async def intake_over_websocket(server: Server, language: str = "de") -> str:
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
        for i, fields in enumerate(INTAKE_FRAMES):
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
