"""Only bot/clock.py reads the machine's clocks; everything else is handed the service's clock.

A part that read the wall clock itself would disagree with the rest as soon as a test, a
simulation or a replay runs the service at another date (the idle sweeper once wiped intakes
half-way that way, whenever the machine's date was more than three days past the tests').
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "dialogs", "storage")
ALLOWED = {ROOT / "bot" / "clock.py"}

# module or class name -> functions that read a clock of the machine
CLOCK_READS = {
    "datetime": {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"},
    "date": {"today", "fromtimestamp"},
    "time": {
        "time",
        "time_ns",
        "monotonic",
        "monotonic_ns",
        "perf_counter",
        "perf_counter_ns",
        "localtime",
        "gmtime",
        "ctime",
        "strftime",
    },
}


def clock_reads(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(root)
    found: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr in CLOCK_READS.get(node.value.id, set())
        ):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            for alias in node.names:
                if alias.name in CLOCK_READS["time"]:
                    found.append(f"{where}:{node.lineno}: from time import")
        # asyncio's loop.time() is the monotonic clock under another name
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "time"
            and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Attribute)
            and node.func.value.func.attr in {"get_running_loop", "get_event_loop"}
        ):
            found.append(f"{where}:{node.lineno}: loop.time()")
    return found


def test_only_the_clock_module_reads_the_machines_clocks() -> None:
    offenders = [
        hit
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path not in ALLOWED
        for hit in clock_reads(path)
    ]
    assert offenders == [], "read the time through bot.clock instead:\n" + "\n".join(offenders)


def test_the_check_finds_a_clock_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import asyncio\nimport time\nfrom datetime import UTC, datetime\n\n"
        "a = datetime.now(UTC)\nb = time.monotonic()\nc = asyncio.get_running_loop().time()\n",
        encoding="utf-8",
    )
    hits = clock_reads(sample, tmp_path)
    assert sorted(hit.rsplit(": ", 1)[1] for hit in hits) == [
        "datetime.now",
        "loop.time()",
        "time.monotonic",
    ]
