"""The admin statistics pages against the real app and store, on SQLite and PostgreSQL.

Cases are closed through the console's own routes, so the counters come from
`closing_facts` exactly as in production; where a test needs many cases it writes counters
with `storage.stats.count`, the storage API the close path uses too.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re

from bot.console.statistics import SECONDARY_TEXT, SMALL_TEXT
from storage import audit, stats
from tests.integration import test_console
from tests.integration.test_console import Console_, intake, session_of

env = test_console.env
"""The console fixture of test_console (an admin in no team, two counsellors), shared."""

ROUTES = (
    "/console/statistics",
    "/console/statistics.csv",
    "/console/statistics/report?year=2026",
)


def rows_of(html: str, section_id: str) -> dict[str, str]:
    """The (label -> shown text) rows of the table in the section with that id."""
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    cells = re.findall(r'<th scope="row">([^<]*)</th><td class="num">([^<]*)</td>', match.group(1))
    return {html_lib.unescape(k): html_lib.unescape(v) for k, v in cells}


def total_of(html: str) -> str:
    match = re.search(r'<strong id="total">([^<]*)</strong>', html)
    assert match, "no total"
    return html_lib.unescape(match.group(1))


def csv_of(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def close_case(env: Console_, who: str, case_id: int, outcome: str) -> None:
    sid, csrf = await session_of(env, who)
    cookie = {"Cookie": f"console={sid}"}
    for action in ("claim", "close"):
        resp = await env.client.post(
            f"/console/cases/{case_id}/{action}",
            data={"csrf": csrf, "outcome": outcome, "confirm": "yes"},
            headers=cookie,
            allow_redirects=False,
        )
        assert resp.status == 303, await resp.text()


async def admin_cookie(env: Console_) -> dict[str, str]:
    sid, _ = await session_of(env, "admin")
    return {"Cookie": f"console={sid}"}


# ---------------------------------------------------------------- authorisation


async def test_statistics_routes_are_for_admins_only(env: Console_) -> None:
    ids = {name: await session_of(env, name) for name in ("berater-region", "berater-stadt")}
    admin = await admin_cookie(env)
    # Every statistics route the app has is in this matrix: a new one must be added here.
    app = env.client.app
    assert app is not None
    registered = {
        r.canonical for r in app.router.resources() if r.canonical.startswith("/console/statistics")
    }
    assert registered == {path.split("?")[0] for path in ROUTES}
    for path in ROUTES:
        anonymous = await env.client.get(path, allow_redirects=False)
        assert anonymous.status == 303, path
        assert anonymous.headers["Location"] == "/console/login"
        for who, (sid, _) in ids.items():
            resp = await env.client.get(
                path, headers={"Cookie": f"console={sid}"}, allow_redirects=False
            )
            assert resp.status == 403, (who, path)
            assert "Administrationsrechten" in await resp.text()
        resp = await env.client.get(path, headers=admin, allow_redirects=False)
        assert resp.status == 200, path
        assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
        assert resp.headers["Cache-Control"] == "no-store"
        # Nothing here changes state: no POST route behind these paths.
        post = await env.client.post(path, headers=admin, allow_redirects=False)
        assert post.status == 405, path
    # The navigation links the statistics for admins only.
    queue = await (await env.client.get("/console", headers=admin)).text()
    assert 'href="/console/statistics"' in queue
    sid, _ = ids["berater-region"]
    queue = await (await env.client.get("/console", headers={"Cookie": f"console={sid}"})).text()
    assert 'href="/console/statistics"' not in queue


async def test_a_period_that_makes_no_sense_is_refused(env: Console_) -> None:
    admin = await admin_cookie(env)
    for query in ("year=abc", "year=1999", "from=0", "from=5&to=3", "to=13", "year=20261"):
        for path in ("/console/statistics", "/console/statistics.csv"):
            resp = await env.client.get(f"{path}?{query}", headers=admin)
            assert resp.status == 400, (path, query)
    resp = await env.client.get("/console/statistics/report?year=nie", headers=admin)
    assert resp.status == 400


# ---------------------------------------------------------------- cases closed for real


async def test_closed_cases_are_counted_and_small_cells_hidden(env: Console_) -> None:
    office, channel = env.office, env.channel
    for i in range(6):
        _, case_id = await intake(office, channel, municipality="garbsen")
        await close_case(env, "berater-region", case_id, "referred" if i == 0 else "resolved")
    _, stadt_case = await intake(office, channel, municipality="hannover", danger="yes")
    await close_case(env, "berater-stadt", stadt_case, "resolved")
    admin = await admin_cookie(env)

    page = await env.client.get("/console/statistics", headers=admin)
    assert page.status == 200
    html = await page.text()
    assert "Statistik: 2026" in html
    assert total_of(html) == "7"
    # Seven cases: six in Garbsen, one in Hannover. The one is "< 5"; Garbsen is hidden too,
    # or 7 - 6 would tell the Hannover count.
    assert rows_of(html, "dim-municipality") == {"Garbsen": SECONDARY_TEXT, "Hannover": SMALL_TEXT}
    # Outcomes: six reached, one handed on elsewhere.
    assert rows_of(html, "dim-outcome") == {
        "An eine andere Stelle übergeben": SMALL_TEXT,
        "Anliegen erreicht": SECONDARY_TEXT,
    }
    assert rows_of(html, "dim-team") == {
        "Stadt Hannover": SMALL_TEXT,
        "Region Hannover": SECONDARY_TEXT,
    }
    assert rows_of(html, "dim-channel") == {"memory": "7"}  # no label known: the id
    assert rows_of(html, "dim-crisis") == {"Nein": SECONDARY_TEXT, "Ja": SMALL_TEXT}
    # The month series: every month of the year, November holds the seven.
    months = rows_of(html, "total-section")
    assert months["November 2026"] == "7" and months["Januar 2026"] == "0"
    assert len(months) == 12
    # Known dimensions in their fixed order.
    order = re.findall(r'<section[^>]*id="dim-([a-z_-]+)"', html)
    assert order == ["channel", "language", "team", "municipality", "outcome", "crisis"]
    # Charts: accessible SVG, hidden cells as hatched markers with their text.
    assert 'aria-labelledby="chart-municipality-title chart-municipality-desc"' in html
    assert html.count('role="img"') == 1 + 6
    assert 'class="marker"' in html and "url(#chart-municipality-hatch)" in html
    assert '<title id="chart-municipality-title">' in html
    assert " style=" not in html and "<script" not in html.split("</main>")[0]

    resp = await env.client.get("/console/statistics.csv?year=2026", headers=admin)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    table = csv_of(await resp.read())
    shown = {(r["dimension"], r["wert"]): (r["anzahl"], r["hinweis"]) for r in table}
    assert shown[("cases", "closed")] == ("7", "")
    assert shown[("municipality", "hannover")] == ("", SMALL_TEXT)
    assert shown[("municipality", "garbsen")] == ("", SECONDARY_TEXT)
    assert shown[("month", "2026-11")] == ("7", "")
    assert shown[("channel", "memory")] == ("7", "")
    assert all(r["von"] == "2026-01" and r["bis"] == "2026-12" for r in table)
    # The true small counts are nowhere in the export.
    assert not any(r["anzahl"] in {"1", "6"} for r in table)
    async with env.office.store.read() as tx:
        actions = [a for _, a, _, _ in await audit.entries(tx, limit=1000)]
    assert "statistics.exported" in actions


# ---------------------------------------------------------------- many cases, as counters


async def test_many_counters_periods_labels_and_the_report(env: Console_) -> None:
    async with env.office.store.tx() as tx:
        for period, n in (("2026-01", 9), ("2026-02", 3), ("2026-03", 20), ("2025-12", 40)):
            for i in range(n):
                facts = {
                    "cases": ["closed"],
                    "channel": ["webchat"],
                    "grounds": ["racism", "age"] if i < 2 else ["racism"],
                    "municipality": ["hannover" if i % 2 else "garbsen"],
                    "source": ["flyer-uni"],
                    "zukunft": ["etwas"],  # a dimension this page has never heard of
                }
                await stats.count(tx, period, facts)
    admin = await admin_cookie(env)

    html = await (await env.client.get("/console/statistics?year=2026", headers=admin)).text()
    assert total_of(html) == "32"
    months = rows_of(html, "total-section")
    # February's three are hidden; the next smallest month (January, 9) too; zero is shown.
    assert months["Februar 2026"] == SMALL_TEXT
    assert months["Januar 2026"] == SECONDARY_TEXT
    assert months["März 2026"] == "20" and months["April 2026"] == "0"
    # Two flagged age in each of three months: 6, shown. Labels come from the documentation
    # categories and the flow where they know the id, else the id.
    assert rows_of(html, "dim-grounds") == {
        "Rassismus / ethnische Herkunft": "32",
        "Lebensalter": "6",
    }
    assert rows_of(html, "dim-municipality") == {"Garbsen": "17", "Hannover": "15"}
    assert rows_of(html, "dim-channel") == {"Web-Chat": "32"}
    assert rows_of(html, "dim-source") == {"flyer-uni": "32"}
    assert rows_of(html, "dim-zukunft") == {"etwas": "32"}
    order = re.findall(r'<section[^>]*id="dim-([a-z_-]+)"', html)
    assert order == ["channel", "municipality", "grounds", "source", "zukunft"]
    assert "Mehrfachnennungen" in html

    # One month: February alone is a small period; every cell says "< 5".
    html = await (
        await env.client.get("/console/statistics?year=2026&from=2&to=2", headers=admin)
    ).text()
    assert "Statistik: Februar 2026" in html
    assert total_of(html) == SMALL_TEXT
    assert set(rows_of(html, "dim-grounds").values()) == {SMALL_TEXT}

    # January to March as CSV: what the page shows, small cells empty.
    body = await (
        await env.client.get("/console/statistics.csv?year=2026&from=1&to=3", headers=admin)
    ).read()
    table = csv_of(body)
    shown = {(r["dimension"], r["wert"]): (r["anzahl"], r["hinweis"]) for r in table}
    assert shown[("month", "2026-02")] == ("", SMALL_TEXT)
    assert shown[("month", "2026-01")] == ("", SECONDARY_TEXT)
    assert shown[("grounds", "age")] == ("6", "")
    assert shown[("zukunft", "etwas")] == ("32", "")
    assert {r["bis"] for r in table} == {"2026-03"}

    # The yearly report for 2025 has December only.
    report = await env.client.get("/console/statistics/report?year=2025", headers=admin)
    assert report.status == 200
    html = await report.text()
    assert "Jahresbericht 2025" in html
    assert total_of(html) == "40"
    # Age (2) is small, so racism is hidden too: over-cautious for a dimension with several
    # answers per case, as the rule says.
    assert rows_of(html, "dim-grounds") == {
        "Rassismus / ethnische Herkunft": SECONDARY_TEXT,
        "Lebensalter": SMALL_TEXT,
    }
    assert 'class="no-print' in html and " style=" not in html
    # The 2025 counters are not in 2026's page.
    html = await (
        await env.client.get("/console/statistics/report?year=2026", headers=admin)
    ).text()
    assert total_of(html) == "32"


async def test_no_counters_yet(env: Console_) -> None:
    admin = await admin_cookie(env)
    html = await (await env.client.get("/console/statistics", headers=admin)).text()
    assert 'id="empty"' in html and total_of(html) == "0"
    body = await (await env.client.get("/console/statistics.csv", headers=admin)).read()
    assert [r["dimension"] for r in csv_of(body)] == ["cases"] + ["month"] * 12
