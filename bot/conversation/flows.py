"""Which flow a conversation runs: published versions from storage, parsed once per process."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from dialogs.loader import load_flow, parse_flow
from dialogs.model import Flow
from storage import flows as flow_versions
from storage import teams
from storage.records import FlowVersionRef
from storage.store import Store, Tx

log = logging.getLogger(__name__)

SHIPPED_INTAKE = Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml"


CURRENT_MAX_AGE: Final = timedelta(seconds=60)
"""How long the published version is trusted without a word of a publication: a publication
by another process that sends none (`anlaufstelle flows publish` beside a running service on
SQLite) reaches new conversations within this time."""


class NoPublishedFlow(Exception):
    """No version of the flow has been published yet."""


class FlowCatalog:
    """Parsed flows by version id, and which version is published.

    Versions are immutable, so the parsed flows never go stale. The published version is
    read once and kept until a publication is seen (`Tx.flow_publications`: moved by this
    process's publishing transactions once they commit, and by other replicas' through
    their notification) or `CURRENT_MAX_AGE` has passed: a new conversation need not read
    the flow's source (~150 kB) inside its write transaction.
    """

    def __init__(self, flow_id: str = "intake", *, pinned_version: int | None = None) -> None:
        self.flow_id = flow_id
        self.pinned_version = pinned_version
        """New conversations start on this version instead of the published one (simulation)."""
        self._parsed: dict[int, Flow] = {}
        self._current: tuple[FlowVersionRef, int, datetime] | None = None
        """The published version, the count of publications and the time it was read at."""

    async def current(self, tx: Tx) -> FlowVersionRef:
        if self.pinned_version is not None:
            return await flow_versions.by_id(tx, self.pinned_version)
        # Read before the query: a publication that commits meanwhile moves it past this.
        seen = tx.flow_publications.value
        cached = self._current
        if cached is not None:
            version, at_count, read_at = cached
            if at_count == seen and timedelta(0) <= tx.now - read_at < CURRENT_MAX_AGE:
                return version
        found = await flow_versions.current(tx, self.flow_id)
        if found is None:
            raise NoPublishedFlow(f"no version of flow {self.flow_id!r} is published")
        self._current = (found, seen, tx.now)
        return found

    def remember(self, version_id: int, flow: Flow) -> None:
        """A version parsed elsewhere (publishing validated it): kept, so its first use does
        not parse it again inside a write transaction."""
        self._parsed.setdefault(version_id, flow)

    async def flow(self, tx: Tx, version_id: int) -> Flow:
        cached = self._parsed.get(version_id)
        if cached is None:
            version = await flow_versions.by_id(tx, version_id)
            # A published version was checked when it was published; a rule added since
            # (an upgrade) must not stop the conversations running on it. A draft (the
            # preview) is checked in full every time: it may have changed into an error.
            cached = parse_flow(
                version.source,
                f"{version.flow_id} (version {version.number or 'draft'})",
                complete=version.number is None,
            )
            self._parsed[version_id] = cached
        return cached


async def publish_files(
    store: Store, paths: list[Path], by: str = "system", *, at_start: bool = False
) -> list[FlowVersionRef]:
    """Publish each flow file whose content differs from its current version.

    Files are validated first (raising FlowErrors), and a flow that routes to a team that does
    not exist is refused, because its handovers would fail at the worst moment.

    `at_start` (`anlaufstelle serve`): a file that was published before, unchanged since, is
    left alone, so versions an admin published in the console survive a restart; a changed
    file (a new release of the shipped flow) is still published.
    """
    published = []
    for path in paths:
        # At start, a file published before is left alone, so it is checked in full only
        # when it is published now: a check added by an upgrade must not stop the service
        # on a file that already runs. The full parse runs before the write transaction.
        flow = load_flow(path, complete=not at_start)
        source = path.read_text(encoding="utf-8")
        if at_start:
            async with store.read() as tx:
                if await flow_versions.was_published(tx, flow.id, flow_versions.digest(source)):
                    current = await flow_versions.current(tx, flow.id)
                    if current is not None:
                        published.append(current)
                        continue
            flow = parse_flow(source, str(path))
        async with store.tx() as tx:
            await check_teams(tx, flow)
            version = await flow_versions.publish_if_changed(
                tx, flow.id, source, by, note=f"from {path.name}"
            )
        log.info("flow %s: version %s is current", flow.id, version.number)
        published.append(version)
    return published


class UnknownTeam(Exception):
    """A flow hands over to a team that does not exist. The message is English (command
    line); `team` and `node` let the console say it in German."""

    def __init__(self, flow_id: str, team: str, node: str) -> None:
        self.team = team
        self.node = node
        super().__init__(
            f"flow {flow_id!r} hands over to team {team!r} (node {node!r}), "
            "which does not exist: create it with `anlaufstelle team add`"
        )


async def check_teams(tx: Tx, flow: Flow) -> None:
    for node in flow.nodes:
        if node.kind != "handover":
            continue
        for team_id in {node.team.default, *node.team.routes.values()}:
            if not await teams.team_exists(tx, team_id):
                raise UnknownTeam(flow.id, team_id, node.id)
