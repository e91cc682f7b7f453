"""What one message's unit of work is about and what it gives back: the contact it locks,
its result, and the refusals a channel turns into words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.channels.base import FileRefused, SlowDown
from storage.records import CaseCreated, Owner

Suggested = tuple[tuple[str, tuple[str, ...]], ...]
"""Free-text understanding's reading of a text: store key -> choice ids."""


@dataclass(frozen=True)
class ContactKey:
    """Identifies one person's conversation for locking: channel + keyed pseudonym, no address."""

    channel: str
    pseudonym: str


@dataclass(frozen=True)
class Handled:
    status: Literal["processed", "duplicate", "stale"]
    """stale: a button of an earlier question, refused (nothing stored)."""
    conversation_id: int | None
    owner: Owner | None
    case: CaseCreated | None = None
    replies: int = 0
    pushed: int = 0
    """Of the replies, sent already (a direct push after the commit); the rest wait for the
    delivery worker."""
    waits: bool = False
    """The message went to a case that waits in the queue for a counsellor (not to the
    dialog, which may go on after a case made at once on the danger path)."""
    told_received: bool = False
    """The replies tell the person that their message arrived and waits for the office (the
    closed-office notice), so a channel need not say it again."""
    started: bool = False
    """The message began a new conversation (the earlier one was over: expired, deleted,
    closed): its lines are numbered from 1 again, which a page that shows the old ones must
    know before they come."""


class NeedsCaseMaterial(Exception):
    """A handover found no case key pair and code made ahead. Raised inside the transaction,
    which rolls back with nothing stored; `handle` makes the material outside it (a worker
    thread) and runs the message's unit of work once more, now with it."""


class AttachmentRefused(FileRefused):
    """A file was not taken; nothing of it was stored. `reason` is a code safe to log that
    the channel turns into words: one of `evidence.Reason`, "case_full" (too many files or
    bytes in this conversation), "no_conversation" (nothing to attach it to yet) or
    "no_consent" (the person has not agreed to the storing yet)."""


class ResumeConflict(Exception):
    """This device already holds another case; it cannot take over a second one."""


class TooManyNewConversations(SlowDown):
    """The sender's network has started as many conversations as it may for now."""


class HeldTooOften(SlowDown):
    """A contact whose messages are held as abuse sent more than the tight limit allows."""
