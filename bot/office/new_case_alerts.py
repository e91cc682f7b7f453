"""Tells a team outside the console that new cases wait: one short alert per team and round.

What an alert says, and why no more: e-mail and Telegram groups are outside the service's
encryption (mail servers, mailboxes, Telegram's servers and every group member's phone keep
what they get). So an alert names only the team, how many new requests wait and where the
console is — never a case's content, language, channel, categories, crisis flag, case id or
case code. Everything else is behind the console's login.

A failed alert is logged (channel, team id, error kind; no address, no token) and tried again
next round; the cursor of that team stays where it was. Nothing here is on the intake's
path: a mail server that hangs delays alerts, never a handover.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.office.alert_senders import AlertFailed, AlertSender
from storage import announcements, teams
from storage.announcements import Cursor, NewCases
from storage.store import Store

log = logging.getLogger(__name__)

SETTLE = timedelta(seconds=30)
"""A case is announced once it is this old (see storage.announcements.new_cases)."""

SUBJECT = "Neue Anfrage in der Beratungskonsole"


def alert_text(team_name: str, count: int, console_url: str | None) -> str:
    """The whole alert. Deliberately nothing about the cases themselves."""
    head = "Neue Anfrage" if count == 1 else "Neue Anfragen"
    where = f": {console_url}" if console_url else "."
    return (
        f"{head} in der Warteschlange von Team {team_name} ({count} neu). "
        f"Bitte in der Beratungskonsole nachsehen{where}"
    )


class NewCaseAlerts:
    """Looks for newly handed-over cases every `poll_seconds` and alerts each channel.

    Ordering: rounds run one at a time in this worker; across replicas the channel's row
    lock (PostgreSQL) lets exactly one replica announce a round.
    """

    def __init__(
        self,
        store: Store,
        senders: list[AlertSender],
        *,
        console_url: str | None,
        poll_seconds: float,
        min_interval_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.senders = senders
        self.console_url = console_url
        self.poll_seconds = poll_seconds
        self.min_interval = min_interval_seconds
        self.clock = clock
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("new-case alerts: the round failed; will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_seconds)

    def stop(self) -> None:
        self._stopping.set()

    async def run_once(self) -> int:
        """One round over every channel; returns how many alerts went out."""
        sent = 0
        for sender in self.senders:
            sent += await self._round(sender)
        return sent

    async def _round(self, sender: AlertSender) -> int:
        now = self.clock()
        if self.store.db.is_sqlite:
            # One process, one worker: read and save in short transactions, and send in
            # between, so SQLite's single writer (the intake) never waits for a mail server.
            async with self.store.tx(now) as tx:
                cursor = await announcements.claim(tx, sender.name)
                if cursor is None:  # cannot happen: nothing locks rows on SQLite
                    return 0
                due = await announcements.new_cases(tx, cursor, now - SETTLE)
                names = await teams.team_names(tx) if due else {}
            sent = await self._announce(sender, cursor, due, names, now)
            if due:
                async with self.store.tx(now) as tx:
                    await announcements.save(tx, sender.name, cursor)
            return sent
        # PostgreSQL: hold the channel's row lock while sending, so that no other replica
        # announces the same cases; they skip the round and intake goes on unhindered.
        async with self.store.tx(now) as tx:
            cursor = await announcements.claim(tx, sender.name)
            if cursor is None:
                return 0
            due = await announcements.new_cases(tx, cursor, now - SETTLE)
            if not due:
                return 0
            names = await teams.team_names(tx)
            sent = await self._announce(sender, cursor, due, names, now)
            await announcements.save(tx, sender.name, cursor)
            return sent

    async def _announce(
        self,
        sender: AlertSender,
        cursor: Cursor,
        due: list[NewCases],
        names: dict[str, str],
        now: datetime,
    ) -> int:
        """Send what is due and move the cursor of every team that is done with."""
        sent = 0
        destinations = sender.teams()
        stamp = now.timestamp()
        for new in due:
            last = cursor.last_alert(new.team_id)
            if new.team_id in destinations and new.waiting:
                if last is not None and stamp - last < self.min_interval:
                    continue  # counted into the next alert once the interval has passed
                name = names.get(new.team_id, new.team_id)
                text = alert_text(name, new.waiting, self.console_url)
                try:
                    await sender.send(new.team_id, SUBJECT, text)
                except AlertFailed as exc:
                    log.warning(
                        "new-case alert by %s for team %s failed (%s); will try again",
                        sender.name,
                        new.team_id,
                        exc,
                    )
                    continue
                log.info("new-case alert by %s sent to team %s", sender.name, new.team_id)
                sent += 1
                last = stamp
            # Nothing to say (no destination, or the cases were taken already): move on.
            cursor.teams[new.team_id] = (new.highest_id, last or 0.0)
        return sent
