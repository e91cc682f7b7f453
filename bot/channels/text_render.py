"""Outbound messages as plain text, for channels without buttons (Signal now; SMS or Threema
later): the choices as a numbered list, navigation as words.

The person answers with a number ("2"), several ("2, 5") or the label typed; the dialog
engine maps those back (`dialogs/engine.py`), so this is the one place a text-only adapter
needs and the adapter itself keeps no state about what was asked. The numbers follow the
order the engine counts in: a pre-selected answer is not moved to the front here.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.base import OutboundMessage


@dataclass(frozen=True)
class Words:
    """A channel's words for what buttons say elsewhere, in one language."""

    bot: str
    """First line of every program message (AI Act Art. 50): "Automatische Antwort:"."""
    counsellor: str
    """First line of a counsellor's message: a person writes."""
    pick_one: str
    """After a numbered list: "Antworten Sie mit der Nummer …"."""
    pick_several: str
    """After a numbered list where several may be picked: "… zum Beispiel: 1, 3"."""
    or_number: str
    """After a list offered beside a typed answer (a date, "skip" of a free text)."""
    back: str
    restart: str


def plain_text(message: OutboundMessage, words: Words) -> str:
    """The whole message as one text: who writes, the text, its detail, the numbered
    choices with how to answer, and the navigation the message offers."""
    label = words.counsellor if message.sender == "counsellor" else words.bot
    parts = [f"{label}\n{message.text}"]
    if message.more:
        parts.append(message.more)
    if message.choices:
        listed = "\n".join(f"{i}. {c.label}" for i, c in enumerate(message.choices, 1))
        if message.expects == "choices":
            how = words.pick_several
        elif message.expects == "choice":
            how = words.pick_one
        else:
            how = words.or_number
        parts.append(f"{listed}\n{how}")
    offered = {a.id for a in message.actions}
    navigation = [
        w for key, w in (("back", words.back), ("restart", words.restart)) if key in offered
    ]
    if navigation:
        parts.append("\n".join(navigation))
    return "\n\n".join(parts)


def pieces(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters for a messenger's message size, cut
    at line ends or spaces where possible; no empty piece."""
    out: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    out.append(rest)
    return [p for p in out if p]
