"""Fixtures for the browser tests: real `anlaufstelle serve` processes and headless Chromium.

    server          session: the shipped intake (de, ls, en) on a free loopback port, with a
                    temp data dir, fast KDF and delivery polling; the quick exit leaves to
                    the server's own /healthz (there is no internet here)
    rtl_server      session: the same with tests/e2e/flows/rtl.yaml (de and Arabic)
    make_server     function: a factory for a private server (for tests that kill it)
    browser         session: headless Chromium (/usr/bin/chromium); Playwright cannot
                    download browsers here
    make_context    function: a factory for browser contexts (a fresh "device" each), all
                    closed after the test; `context` and `page` are the default ones

Without Chromium or Playwright the browser tests skip locally, but fail when CI=true.
The tests run in one session-wide event loop (the browser lives as long as the session).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from tests.e2e.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    RTL_FLOW,
    MakeContext,
    Server,
    unavailable,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("server"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def rtl_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(
        tmp_path_factory.mktemp("rtl-server"),
        ANLAUFSTELLE_FLOWS=json.dumps([str(RTL_FLOW.resolve())]),
        ANLAUFSTELLE_RESPONSE_TIME=json.dumps(
            {"de": "in der Regel innerhalb von zwei Werktagen", "ar": "عادةً خلال يومي عمل"}
        ),
    )
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """A private server for one test (started by the test, stopped after it)."""
    made: list[Server] = []

    def make(**env: str) -> Server:
        data_dir = tmp_path / f"server-{len(made)}"
        data_dir.mkdir()
        srv = Server(data_dir, **env)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop()


# ============================================================================ browser


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed")
    if not CHROMIUM.exists():
        unavailable(f"Chromium not found at {CHROMIUM}")
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def make_context(browser: Browser) -> AsyncIterator[MakeContext]:
    """`await make_context(**options)`: a new browser context (an empty new device)."""
    made: list[BrowserContext] = []

    async def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", PHONE)
        options.setdefault("locale", "de-DE")
        ctx = await browser.new_context(**options)
        ctx.set_default_timeout(10_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        await ctx.close()


@pytest_asyncio.fixture(loop_scope="session")
async def context(make_context: MakeContext) -> BrowserContext:
    return await make_context()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go when ANLAUFSTELLE_E2E_SCREENSHOTS is set (never committed)."""
    base = os.environ.get("ANLAUFSTELLE_E2E_SCREENSHOTS")
    path = Path(base) if base else tmp_path_factory.getbasetemp() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
