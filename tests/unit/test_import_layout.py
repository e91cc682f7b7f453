"""The import graph of bot/, dialogs/ and storage/ keeps the shape docs/architecture.md draws.

Every import counts, at module level and inside functions alike: an import moved into a
function to dodge a cycle still ties the two modules together (the console and the chat pages
once imported the app factory that way). Importing `a.b` also runs `a/__init__.py`; that
implicit step is not an edge here, because those files are kept thin (a docstring, at most a
re-export for an entry point: asserted below).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "dialogs", "storage")

Graph = dict[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _absolute(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_names(path: Path, name: str) -> set[str]:
    """Every dotted name `path` imports anywhere in its code (functions and type-checking
    blocks included), each `from a import b` as `a.b`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, name, path.name == "__init__.py")
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def graph(found: Mapping[str, Path]) -> Graph:
    """module -> the modules of ours it imports (a name resolves to the longest module
    that is a prefix of it, so `from bot.keys import STORE` is an edge to bot.keys)."""
    edges: Graph = {}
    for name, path in found.items():
        targets: set[str] = set()
        for imported in imported_names(path, name):
            parts = imported.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in found:
                    targets.add(candidate)
                    break
        targets.discard(name)
        edges[name] = targets
    return edges


def find_cycle(edges: Graph) -> list[str] | None:
    """One import cycle as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def reachable(edges: Graph, start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def third_party(path: Path, name: str, roots: set[str]) -> set[str]:
    """The top-level packages among `roots` that the file imports."""
    return {n.split(".")[0] for n in imported_names(path, name)} & roots


FOUND = modules()
EDGES = graph(FOUND)


def test_the_modules_of_bot_dialogs_and_storage_import_each_other_without_a_cycle() -> None:
    cycle = find_cycle(EDGES)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_package_init_modules_stay_thin() -> None:
    """Nothing but the entry point's re-export (`anlaufstelle = "bot.cli:main"`)."""
    heavy = {
        name: sorted(EDGES[name])
        for name, path in FOUND.items()
        if path.name == "__init__.py" and EDGES[name]
    }
    assert heavy == {"bot.cli": ["bot.cli.main"]}


def test_only_the_command_line_imports_the_app_factory() -> None:
    assert {name for name, targets in EDGES.items() if "bot.app" in targets} == {"bot.cli.main"}


def test_dialogs_import_nothing_of_the_service_or_storage() -> None:
    wrong = {
        name: sorted(t for t in targets if not t.startswith("dialogs"))
        for name, targets in EDGES.items()
        if name.startswith("dialogs")
    }
    assert {name: targets for name, targets in wrong.items() if targets} == {}


def test_storage_imports_nothing_of_the_service_nor_aiohttp() -> None:
    wrong = {
        name: sorted(t for t in targets if t.startswith("bot"))
        + sorted(third_party(FOUND[name], name, {"aiohttp", "telegram"}))
        for name, targets in EDGES.items()
        if name.startswith("storage")
    }
    assert {name: targets for name, targets in wrong.items() if targets} == {}


def test_nothing_behind_the_conversation_service_imports_telegram_or_aiohttp() -> None:
    """The conversation service and everything it imports, directly or not, are channel
    neutral: the adapters translate at the edge (docs/architecture.md)."""
    behind = reachable(EDGES, "bot.conversation.service")
    assert "bot.office.hours" in behind and "storage.store" in behind  # the walk reaches far
    wrong = {
        name: sorted(third_party(FOUND[name], name, {"aiohttp", "telegram"})) for name in behind
    }
    assert {name: roots for name, roots in wrong.items() if roots} == {}


def test_the_check_finds_a_cycle_made_by_an_import_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""A package."""\n')
    (package / "app.py").write_text("from pkg.pages import page\n")
    (package / "pages.py").write_text("def page() -> None:\n    from pkg import app\n")
    found = modules(tmp_path, ["pkg"])
    assert find_cycle(graph(found)) == ["pkg.app", "pkg.pages", "pkg.app"]
