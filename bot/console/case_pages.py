"""One case: the transcript and intake answers (decrypted with the session's team key), the
notes, and the actions (claim, release, reply, note, transfer, close).

A case of another team is refused (403) before anything is decrypted; every view that
decrypts is audited (ids only, never content).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Final

from aiohttp import web

from bot.channels.base import MAX_TEXT_LENGTH, TypingChannel
from bot.console import fact_sheet
from bot.console.auth import (
    ConsoleSession,
    tokens_match,
)
from bot.console.channel_names import channel_name
from bot.console.core import NOTICES, Console, Form, first_value, redirect
from bot.console.deadline import agg_area, deadline
from bot.console.documentation import (
    FIELDS,
    OUTCOMES,
    IncompleteClosing,
    preselected,
    read_closing,
)
from bot.console.language_names import language_name
from bot.console.queue_pages import waiting_text
from bot.conversation.code_hold import for_console
from bot.conversation.handover import closing_facts
from bot.settings import Snippet
from dialogs import engine
from dialogs.model import (
    Flow,
)
from storage import audit, cases, contacts, conversations, notes, stats, teams
from storage.crypto import CryptoError
from storage.records import QueueEntry, TranscriptLine

log = logging.getLogger(__name__)

DASH: Final = "\N{EN DASH}"

CONFIRMED: Final = frozenset({"release", "transfer", "close", "block", "unblock"})
"""Actions that hand the case away or end it: each asks to be confirmed first."""

ABUSE_REASONS: Final = {
    "spam": "Spam oder sinnlose Nachrichten",
    "hate": "Hassnachrichten oder Drohungen gegen die Beratungsstelle",
    "other": "anderer Missbrauch",
}
"""Why a person's messages are held; the reason goes to the audit log, never a text."""

GIST: Final = 70
"""Characters of a folded bot line shown in its summary."""

SENDERS: Final = {
    "person": "Person",
    "bot": "Bot",
    "counsellor": "Beratung",
    "note": "Notiz",
}

FIELD_LEGENDS: Final = {
    "grounds": "Merkmale",
    "life_area": "Lebensbereich",
    "form": "Form der Diskriminierung",
    "intervention": "Was die Beratungsstelle getan hat",
}


@dataclass(frozen=True)
class Line:
    seq: int
    sender: str
    sender_label: str
    text: str
    at: str
    kind: str = ""
    """The bot line's kind ("prompt", "info", "crisis", ...)."""
    held: bool = False
    """Written while the person's messages were held as abuse: shown to admins only."""
    file: dict[str, Any] | None = None
    """A file the person sent: its type, size and whether a preview can be drawn."""

    @property
    def folded(self) -> bool:
        """The bot's questions and notes are folded on the case page; the crisis numbers and
        what the person and the counsellors wrote stay open."""
        return self.sender == "bot" and self.kind != "crisis"

    @property
    def gist(self) -> str:
        """The folded line's first words."""
        first = self.text.strip().split("\n", 1)[0]
        return (
            first if len(first) <= GIST else first[: GIST - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"
        )


@dataclass(frozen=True)
class NoteView:
    kind: str
    author: str
    at: str
    text: str


FILE_KINDS: Final = {
    "image/jpeg": "Bild (JPEG)",
    "image/png": "Bild (PNG)",
    "image/webp": "Bild (WebP)",
    "application/pdf": "PDF-Dokument",
    "audio/ogg": "Sprachnachricht (Ogg Opus)",
}


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def _file(body: dict[str, Any]) -> dict[str, Any] | None:
    meta = body.get("attachment")
    if not isinstance(meta, dict):
        return None
    media_type = str(meta.get("type"))
    raw_size = meta.get("size")
    size = raw_size if isinstance(raw_size, int) else 0
    extra = ""
    if isinstance(meta.get("width"), int) and isinstance(meta.get("height"), int):
        extra = f", {meta['width']} \N{MULTIPLICATION SIGN} {meta['height']} Pixel"
    elif isinstance(meta.get("pages"), int):
        extra = f", {meta['pages']} {'Seite' if meta['pages'] == 1 else 'Seiten'}"
    said = f"Datei: {FILE_KINDS.get(media_type, 'Datei')}, {_size(size)}{extra}"
    if body.get("text"):
        # A messenger's caption: what the person wrote about the file, kept with it.
        said += f", dazu geschrieben: {body['text']}"
    return {
        "kind": FILE_KINDS.get(media_type, "Datei"),
        "size": _size(size),
        "text": said,
        "image": media_type.startswith("image/"),
    }


def _line_text(body: dict[str, Any]) -> str:
    found = _file(body)
    if found is not None:
        return str(found["text"])
    for key in ("text", "label"):
        if body.get(key):
            return str(body[key])
    if body.get("labels"):
        return ", ".join(str(x) for x in body["labels"])
    if body.get("choice"):
        return str(body["choice"])
    if body.get("choices"):
        return ", ".join(str(x) for x in body["choices"])
    return ""


class CasePages:
    """One case: the page, its JSON for the live update, the typing hint and the actions
    (claim, release, reply, note, transfer, close)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def case_of(
        self, request: web.Request, session: ConsoleSession
    ) -> QueueEntry | web.Response:
        """The case of the request's path, or the page that refuses it (another team)."""
        return await self._case(request, session)

    async def _case(
        self, request: web.Request, session: ConsoleSession
    ) -> QueueEntry | web.Response:
        try:
            case_id = int(request.match_info["case_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        async with self.console.store.read(self.console.clock()) as tx:
            entry = await cases.entry(tx, case_id)
            team_ids = await teams.team_ids_of(tx, session.counsellor_id)
        if entry is None:
            raise web.HTTPNotFound()
        if entry.team_id not in team_ids:
            return self.console.forbidden("Dieser Fall gehört zu einem anderen Team.")
        return entry

    async def get_case(self, request: web.Request) -> web.Response:
        session = await self.console.require(request)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        now = self.console.clock()
        async with self.console.store.tx(now) as tx:
            key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
            if key is None:
                return self.console.forbidden("Ihre Schlüssel öffnen diesen Fall nicht.")
            try:
                content = await cases.read(tx, entry.case_id, key)
                case_notes = await notes.read(tx, entry.case_id, session.keys.team_keys)
            except CryptoError:
                log.error("case %s: content failed its integrity check", entry.case_id)
                await audit.record(tx, session.actor, "case.integrity_failed", entry.case_id)
                return self.console.page(
                    "message.html",
                    status=500,
                    title="Fall nicht lesbar",
                    message=(
                        "Der Inhalt dieses Falls wurde in der Datenbank verändert: eine Zeile, "
                        "eine Antwort oder eine Notiz stammt nicht von diesem Dienst oder "
                        "fehlt. Damit Sie nichts Untergeschobenes lesen, wird der Fall nicht "
                        "angezeigt. Bitte informieren Sie die Administration; das Protokoll "
                        "nennt den Fall."
                    ),
                    session=session,
                    csrf=session.csrf,
                )
            await audit.record(tx, session.actor, "case.viewed", entry.case_id)
            flow: Flow | None
            try:
                version = await self.console.service.catalog.current(tx)
                flow = await self.console.service.catalog.flow(tx, version.id)
            except Exception:
                flow = None
            names = await teams.team_names(tx)
            colleagues = await teams.colleagues(tx, entry.team_id, session.counsellor_id)
            unreachable = await cases.contact_unreachable(tx, entry.case_id)
            contact_id = await cases.contact_of(tx, entry.case_id)
            blocked = None if contact_id is None else await contacts.blocked_since(tx, contact_id)
            reopened = entry.case_id in await audit.reopened(tx, [entry.case_id])
            corrected = await audit.with_action(tx, "case.incident_corrected", [entry.case_id])
            found = await cases.conversation_of(tx, entry.case_id)
            follows = None if found is None else (await conversations.get(tx, found[0]))
        mine = entry.status == "claimed" and entry.claimed_by == session.counsellor_id
        today = now.astimezone(self.console.timezone).date()
        admin = session.keys.role == "admin"
        snippets = self._snippets(entry.language)
        chosen = _snippet_index(request.query.get("snippet", ""), len(snippets))
        return self.console.page(
            "case.html",
            title=f"Fall {entry.case_id}",
            session=session,
            csrf=session.csrf,
            case=entry,
            team=names.get(entry.team_id, entry.team_id),
            language=language_name(entry.language),
            channel=channel_name(entry.channel),
            today=today.isoformat(),
            deadline=deadline(entry.incident_date, today, agg_area(content.answers)),
            # A span ("in den letzten 7 Tagen") gives the earliest day it can be, from which
            # the deadline runs: shown as what it is until a counsellor enters the day.
            incident_estimated=not corrected
            and any(engine.incident_date_estimated(v) for v in content.answers.values()),
            waiting=waiting_text(entry.waiting_since, now),
            claimed=self._claimed(entry, session, colleagues, now),
            facts=fact_sheet.facts(content.answers, flow, today),
            crisis_reason=fact_sheet.crisis_reason(
                content.answers,
                flow,
                [_line_text(t.body) for t in content.transcript if t.sender == "person"],
            )
            if entry.crisis
            else None,
            lines=_lines(content.transcript, self.console.timezone, admin),
            held=sum(1 for line in content.transcript if line.body.get("held")),
            blocked=None if blocked is None else self.console.office_time(blocked),
            admin=admin,
            abuse_reasons=ABUSE_REASONS,
            last_seq=content.transcript[-1].seq if content.transcript else 0,
            notes=[_note(n, self.console.timezone) for n in case_notes],
            mine=mine,
            unreachable=unreachable,
            reopened=reopened,
            previous_case=None if follows is None else follows.previous_case_id,
            notice=NOTICES.get(request.query.get("notice", "")),
            fields=FIELD_LEGENDS,
            categories=FIELDS,
            preselected=preselected(content.answers),
            outcomes=OUTCOMES,
            colleagues=colleagues,
            other_teams={t: n for t, n in names.items() if t != entry.team_id},
            snippets=snippets,
            draft=snippets[chosen].text if chosen is not None else "",
            max_text=MAX_TEXT_LENGTH,
            poll_ms=int(self.console.settings.live_poll_seconds * 1000),
        )

    def _claimed(
        self,
        entry: QueueEntry,
        session: ConsoleSession,
        colleagues: list[tuple[int, str]],
        now: datetime,
    ) -> str:
        """Who has a claimed case and since when ("von Ihnen, seit 08.12.2026 01:05 (vor 3
        Min.)"); how long it waited means nothing once someone has it."""
        if entry.claimed_by == session.counsellor_id:
            who = "von Ihnen"
        else:
            who = f"von {dict(colleagues).get(entry.claimed_by or 0, 'jemand anderem')}"
        if entry.claimed_at is None:
            return who
        since = self.console.office_time(entry.claimed_at)
        return f"{who}, seit {since} (vor {waiting_text(entry.claimed_at, now)})"

    def _snippets(self, language: str) -> list[Snippet]:
        """The snippets in the case's language; all of them if there are none in it."""
        fitting = [s for s in self.console.settings.snippets if s.language == language]
        return fitting or list(self.console.settings.snippets)

    async def get_case_json(self, request: web.Request) -> web.Response:
        """News for an open case page: its status and the transcript lines after `after`.

        Lines are decrypted with the session's team key like the page itself; a page polling
        an unchanged case costs one indexed read and decrypts nothing."""
        session = await self.console.require(request, touch=False)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            after = 0
        lines: list[Line] = []
        async with self.console.store.read(self.console.clock()) as tx:
            last = await cases.last_seq(tx, entry.case_id)
            if last > after:
                key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
                if key is None:
                    return self.console.forbidden("Ihre Schlüssel öffnen diesen Fall nicht.")
                try:
                    found = await cases.transcript_after(tx, entry.case_id, key, after)
                except CryptoError:
                    log.error("case %s: content failed its integrity check", entry.case_id)
                    return web.json_response({"error": "integrity"}, status=500)
                lines = _lines(found, self.console.timezone, session.keys.role == "admin")
        mine = entry.status == "claimed" and entry.claimed_by == session.counsellor_id
        return web.json_response(
            {
                "status": entry.status,
                "mine": mine,
                "typing": self.console.service.typing.is_person_typing(entry.case_id),
                "last_seq": max(last, after),
                "lines": [
                    {
                        "seq": x.seq,
                        "sender": x.sender,
                        "sender_label": x.sender_label,
                        "text": x.text,
                        "at": x.at,
                        "file": None
                        if x.file is None
                        else x.file | {"href": f"/console/cases/{entry.case_id}/files/{x.seq}"},
                    }
                    for x in lines
                ],
            },
            headers={"Cache-Control": "no-store"},
        )

    async def post_typing(self, request: web.Request) -> web.Response:
        """The counsellor is typing a reply: a hint on the person's channel, best effort.

        Sent by console.js with the CSRF token in a header; 204 whether or not the channel
        can show it, so the page never learns more than that the request was accepted."""
        session = await self.console.require(request)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        if not tokens_match(session.csrf, request.headers.get("X-CSRF-Token", "")):
            return self.console.forbidden(
                "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."
            )
        target = await self.console.service.typing_target(entry.case_id, session.counsellor_id)
        if target is not None:
            channel = self.console.channels.get(target[0])
            if isinstance(channel, TypingChannel):
                try:
                    await asyncio.wait_for(channel.typing(target[1]), timeout=5)
                except Exception as exc:  # a lost hint harms nobody; say so without content
                    log.info("typing hint for case %s not shown (%s)", entry.case_id, type(exc))
        return web.Response(status=204)

    async def _posted(
        self, request: web.Request
    ) -> tuple[ConsoleSession, QueueEntry, Form] | web.Response:
        """Session, case and form of a post about a case; else the refusal to answer with."""
        session = await self.console.require(request)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        form = await self.console.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        return session, entry, form

    async def post_case_action(self, request: web.Request) -> web.Response:
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        session, entry, form = posted
        action = request.match_info["action"]
        handlers = {
            "claim": self._claim,
            "release": self._release,
            "reply": self._reply,
            "note": self._note,
            "transfer": self._transfer,
            "close": self._close,
            "incident": self._incident,
            "block": self._block,
            "unblock": self._unblock,
        }
        if action in CONFIRMED and first_value(form, "confirm") != "yes":
            # The required checkbox stops a browser without JavaScript; this stops the rest.
            return redirect(f"/console/cases/{entry.case_id}?notice=unconfirmed#status")
        notice = await handlers[action](session, entry, form)
        if notice in ("released", "closed", "moved"):
            return redirect(f"/console?notice={notice}")
        anchors = {"noted": "notes-h", "note_empty": "note-text", "note_too_long": "note-text"}
        anchor = anchors.get(notice, "status")
        return redirect(f"/console/cases/{entry.case_id}?notice={notice}#{anchor}")

    async def post_new_code(self, request: web.Request) -> web.Response:
        """Replace the case code (a team member's session holds the case key, so it can wrap
        the key for a new code); the new code is shown on this one page, never stored."""
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        session, entry, form = posted
        if first_value(form, "confirm") != "yes":
            return redirect(f"/console/cases/{entry.case_id}?notice=unconfirmed#code-h")
        disconnect = first_value(form, "disconnect") == "yes"
        made = await self.console.store.case_material()  # Argon2id before the transaction
        async with self.console.store.tx(self.console.clock()) as tx:
            key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
            if key is None:
                return self.console.forbidden("Ihre Schlüssel öffnen diesen Fall nicht.")
            code = await cases.replace_code(tx, entry.case_id, key, made)
            contact = await cases.contact_of(tx, entry.case_id)
            if disconnect and contact is not None:
                await contacts.park(tx, contact)
            event = {"event": "code_replaced", "disconnected": disconnect and contact is not None}
            await notes.add(tx, entry.case_id, entry.team_id, session.counsellor_id, "event", event)
            await audit.record(
                tx,
                session.actor,
                "case.code_replaced",
                entry.case_id,
                "disconnected" if disconnect else "",
            )
        return self.console.page(
            "message.html",
            title=f"Neuer Fall-Code für Fall {entry.case_id}",
            message="Dieser Code wird nur jetzt angezeigt und nirgends gespeichert. Geben Sie "
            "ihn der Person auf einem sicheren Weg; mit ihm öffnet sie den Fall im Web-Chat.",
            secret=code,
            link=(f"/console/cases/{entry.case_id}", "Zurück zum Fall"),
            session=session,
            csrf=session.csrf,
        )

    async def _claim(self, session: ConsoleSession, entry: QueueEntry, _: Form) -> str:
        async with self.console.store.tx(self.console.clock()) as tx:
            if not await cases.claim(tx, entry.case_id, session.counsellor_id):
                return "taken"
            await audit.record(tx, session.actor, "case.claimed", entry.case_id)
        return "claimed"

    async def _release(self, session: ConsoleSession, entry: QueueEntry, _: Form) -> str:
        async with self.console.store.tx(self.console.clock()) as tx:
            if not await cases.release(tx, entry.case_id, session.counsellor_id):
                return "not_yours"
            await audit.record(tx, session.actor, "case.released", entry.case_id)
        return "released"

    async def _reply(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        text = first_value(form, "text")
        if not text.strip():
            return "empty"
        if len(text) > MAX_TEXT_LENGTH:
            return "too_long"
        seq = await self.console.service.counsellor_reply(
            entry.case_id, session.counsellor_id, text
        )
        return "sent" if seq is not None else "not_yours"

    async def _incident(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        """Any member of the case's team may correct the incident date of an open case (the
        person may have misremembered, or told the date only in the chat)."""
        now = self.console.clock()
        raw = first_value(form, "incident_date").strip()
        day: date | None = None
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                return "incident_invalid"
            if day > now.astimezone(self.console.timezone).date():
                return "incident_invalid"
        async with self.console.store.tx(now) as tx:
            if not await cases.correct_incident_date(tx, entry.case_id, day):
                return "not_yours"
            # Without the date itself: the audit log says that, not what.
            await audit.record(tx, session.actor, "case.incident_corrected", entry.case_id)
        return "incident"

    async def _note(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        """Any member of the case's team may add a note, also while the case waits."""
        text = first_value(form, "note")
        if not text.strip():
            return "note_empty"
        if len(text) > MAX_TEXT_LENGTH:
            return "note_too_long"
        async with self.console.store.tx(self.console.clock()) as tx:
            await notes.add(
                tx, entry.case_id, entry.team_id, session.counsellor_id, "note", {"text": text}
            )
            await audit.record(tx, session.actor, "case.noted", entry.case_id)
        return "noted"

    async def _block(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        """Mark the person's messages as abuse (any member of the team): what they send from
        now on is kept but held out of the queue; reversible by an admin."""
        reason = first_value(form, "reason")
        if reason not in ABUSE_REASONS:
            return "block_reason"
        async with self.console.store.tx(self.console.clock()) as tx:
            contact = await cases.contact_of(tx, entry.case_id)
            if contact is None or not await contacts.block(tx, contact):
                return "blocked"
            await audit.record(tx, session.actor, "contact.blocked", entry.case_id, reason)
        return "blocked"

    async def _unblock(self, session: ConsoleSession, entry: QueueEntry, _: Form) -> str:
        if session.keys.role != "admin":
            return "admins_only"
        async with self.console.store.tx(self.console.clock()) as tx:
            contact = await cases.contact_of(tx, entry.case_id)
            if contact is not None and await contacts.unblock(tx, contact):
                await audit.record(tx, session.actor, "contact.unblocked", entry.case_id)
        return "unblocked"

    async def _transfer(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        """To a colleague ("counsellor:ID") or to another team's queue ("team:ID")."""
        kind, _, target = first_value(form, "to").partition(":")
        async with self.console.store.tx(self.console.clock()) as tx:
            if kind == "counsellor" and target.isdigit():
                ok = await cases.transfer_to_colleague(
                    tx, entry.case_id, session.counsellor_id, int(target)
                )
                notice = "transferred"
            elif kind == "team" and await teams.team_exists(tx, target):
                ok = await cases.transfer_to_team(
                    tx, entry.case_id, session.counsellor_id, target, session.keys.team_keys
                )
                notice = "moved"
            else:
                return "transfer_failed"
            if not ok:
                return "transfer_failed"
            await audit.record(
                tx, session.actor, "case.transferred", entry.case_id, detail=f"{kind}:{target}"
            )
        return notice

    async def _close(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        try:
            closing = read_closing(form)
        except IncompleteClosing:
            return "outcome"
        async with self.console.store.tx(self.console.clock()) as tx:
            if not await cases.close(tx, entry.case_id, session.counsellor_id):
                return "not_yours"
            key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
            answers = (await cases.read(tx, entry.case_id, key)).answers if key else {}
            # Anonymous counters, written once here from the documented categories; the
            # documentation itself stays with the case (for the team only) until it is deleted.
            facts = closing_facts(entry, answers, closing.as_facts())
            await stats.count(
                tx, self.console.clock().astimezone(self.console.timezone).strftime("%Y-%m"), facts
            )
            await notes.add(
                tx,
                entry.case_id,
                entry.team_id,
                session.counsellor_id,
                "closing",
                {"outcome": closing.outcome, "codes": closing.codes},
            )
            await audit.record(tx, session.actor, "case.closed", entry.case_id)
            # Told in the same transaction: a closed case is never closed without the person
            # learning it, nor told without being closed.
            told = await self.console.service.close_notice(tx, entry.case_id)
        if told:
            self.console.service.outbox_filled()
        return "closed"


def _shown(line: TranscriptLine) -> bool:
    """A person line without text (/start, a language switch) tells the counsellor nothing."""
    return line.sender != "person" or bool(_line_text(line.body))


def _lines(transcript: Iterable[TranscriptLine], tz: tzinfo, admin: bool) -> list[Line]:
    """The lines a counsellor is shown; held ones (marked as abuse) only to admins."""
    lines = (_line(line, tz) for line in transcript if _shown(line))
    return [line for line in lines if admin or not line.held]


def _line(line: TranscriptLine, tz: tzinfo) -> Line:
    return Line(
        line.seq,
        line.sender,
        SENDERS.get(line.sender, line.sender),
        for_console(_line_text(line.body)) if line.sender == "bot" else _line_text(line.body),
        _local_time(line.created_at, tz),
        str(line.body.get("kind") or ""),
        bool(line.body.get("held")),
        _file(line.body) if line.sender == "person" else None,
    )


def _local_time(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def _note(note: notes.Note, tz: tzinfo) -> NoteView:
    if note.kind == "closing":
        codes = note.body.get("codes", {})
        parts = [f"Ergebnis: {OUTCOMES.get(str(note.body.get('outcome')), DASH)}"]
        for name, legend in FIELD_LEGENDS.items():
            labels = [FIELDS[name].get(v, v) for v in codes.get(name, [])]
            parts.append(f"{legend}: {', '.join(labels) or DASH}")
        text = "Abschluss dokumentiert. " + "; ".join(parts) + "."
    elif note.kind == "event":
        text = event_text(note.body)
    else:
        text = str(note.body.get("text", ""))
    author = note.author or ("System" if note.kind == "event" else "(gelöschtes Konto)")
    return NoteView(note.kind, author, _local_time(note.created_at, tz), text)


def event_text(body: dict[str, Any]) -> str:
    """What happened to the case's code or device, in the console's words."""
    if body.get("event") == "opened_elsewhere":
        was, now = str(body.get("from")), str(body.get("to"))
        text = (
            "Mit dem Fall-Code auf einem anderen Gerät geöffnet "
            f"({channel_name(was)} → {channel_name(now)})."
        )
        return text + (" Das bisherige Gerät wurde benachrichtigt." if body.get("told") else "")
    if body.get("event") == "code_replaced":
        text = "Fall-Code ersetzt; der alte Code öffnet den Fall nicht mehr."
        return text + (" Das verbundene Gerät wurde getrennt." if body.get("disconnected") else "")
    return str(body.get("text", ""))


def _snippet_index(raw: str, count: int) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) < count else None
