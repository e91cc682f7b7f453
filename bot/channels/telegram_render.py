"""Outbound messages as Telegram texts and inline keyboards, and the callback data they carry.

Callback data (at most 64 bytes, Telegram's limit) is a one-letter kind and a value:

    c:<choice id>   pick a single choice (also "skip" of an optional free text)
    t:<choice id>   toggle an option of a multiple-choice question
    a:<action>      back, restart, skip or done (done sends the toggled options)
    l:<language>    switch the language (/language)
    x:yes / x:no    confirm or cancel /delete

A button of a question (c, t, a) also carries the question's transcript number after an
"@" (`c:accept@5`): the service refuses a press whose question is no longer the one on
screen, so an old keyboard, also after a restart, never answers a later question.

The toggled options of a multiple-choice question live in the keyboard itself (a ✅ before
the label), not in the server: the callback query carries the message with its current
keyboard, so "done" reads the selection from what the person sees, and a restart of the
service loses nothing. Choice ids too long for a button fall back to numbered lines in the
text, which the dialog engine accepts as typed answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels import telegram_texts as texts
from bot.channels.base import OutboundMessage
from bot.channels.text_render import pieces

MAX_CALLBACK_BYTES: Final = 64
MAX_TEXT: Final = 4096
"""Telegram's limit for one message's text (in UTF-16 code units; we count characters and
stay below it, see `split_text`)."""
CHECKED: Final = "✅ "
ANSWERED: Final = "\n\n➡️ "
"""What is appended to a question once it is answered (the answer follows)."""
ACTIONS: Final = ("back", "restart", "skip", "done")

CallbackKind = Literal["c", "t", "a", "l", "x"]


@dataclass(frozen=True)
class Callback:
    kind: CallbackKind
    value: str
    question: int | None = None
    """The transcript number of the question the button belongs to."""


@dataclass(frozen=True)
class Rendered:
    """The texts to send in order; the last one carries the keyboard (if any)."""

    chunks: tuple[str, ...]
    keyboard: InlineKeyboardMarkup | None


def data(kind: CallbackKind, value: str, question: int | None = None) -> str:
    return f"{kind}:{value}" if question is None else f"{kind}:{value}@{question}"


def fits(kind: CallbackKind, value: str, question: int | None = None) -> bool:
    return len(data(kind, value, question).encode()) <= MAX_CALLBACK_BYTES


def parse_callback(raw: str | None) -> Callback | None:
    """The callback data we made, or None for anything else (old or forged buttons)."""
    if not raw or len(raw.encode()) > MAX_CALLBACK_BYTES or raw[1:2] != ":":
        return None
    kind, rest = raw[0], raw[2:]
    value, at, number = rest.partition("@")
    question = int(number) if at and number.isdecimal() and len(number) < 10 else None
    if not value or (at and question is None):
        return None
    if kind == "l":
        return Callback("l", value)
    if kind in ("c", "t"):
        return Callback(kind, value, question)  # type: ignore[arg-type]  # kind checked
    if kind == "a" and value in ACTIONS:
        return Callback("a", value, question)
    if kind == "x" and value in ("yes", "no"):
        return Callback("x", value)
    return None


def split_text(text: str, limit: int = MAX_TEXT // 2) -> list[str]:
    """Pieces for Telegram: half of its limit, because it counts UTF-16 code units and a
    character may need two."""
    return pieces(text, limit) or [""]


def render(message: OutboundMessage) -> Rendered:
    text = message.text
    # Who writes is said on every message: a person (counsellor) or the program (AI Act
    # Art. 50); a button press alone never reveals it.
    label = "counsellor" if message.sender == "counsellor" else "bot"
    text = f"{texts.text(label, message.language)}\n{text}"
    if message.more:
        # No fold in a Telegram message that works everywhere: the detail follows the text.
        text = f"{text}\n\n{message.more}"
    rows: list[list[InlineKeyboardButton]] = []
    choice_ids = {c.id for c in message.choices}
    if message.choices:
        kind: CallbackKind = "t" if message.expects == "choices" else "c"
        if all(fits(kind, c.id, message.seq) for c in message.choices):
            rows.extend(_choice_rows(message, kind))
            if details := [c.label for c in message.choices if c.short not in ("", c.label)]:
                # A button shows about 40 characters; what a short label leaves out is said
                # in the question, so nobody picks from a cut-off "Einkaufen und Dienstl…".
                text = f"{text}\n\n" + "\n".join(f"• {d}" for d in details)
        else:
            # Ids too long for a button: the engine takes the numbers typed instead.
            numbered = "\n".join(f"{i}. {c.label}" for i, c in enumerate(message.choices, 1))
            text = f"{text}\n\n{numbered}"
    actions = [
        InlineKeyboardButton(a.label, callback_data=data("a", a.id, message.seq))
        for a in message.actions
        if a.id in ACTIONS and a.id not in choice_ids
    ]
    if actions:
        rows.append(actions)
    keyboard = InlineKeyboardMarkup(rows) if rows else None
    return Rendered(tuple(split_text(text)), keyboard)


def _choice_rows(message: OutboundMessage, kind: CallbackKind) -> list[list[InlineKeyboardButton]]:
    """A pre-selected answer (a guessed language, what the free text suggested) is ticked in a
    multiple choice, and first, on a row of its own, in a single choice: one tap confirms it."""
    suggested = set(message.suggested)
    buttons = [
        InlineKeyboardButton(
            CHECKED + (c.short or c.label)
            if kind == "t" and c.id in suggested
            else c.short or c.label,
            callback_data=data(kind, c.id, message.seq),
        )
        for c in message.choices
    ]
    if kind == "t" or not suggested:
        return in_columns(buttons)
    first = [b for b, c in zip(buttons, message.choices, strict=True) if c.id in suggested]
    rest = [b for b, c in zip(buttons, message.choices, strict=True) if c.id not in suggested]
    return [first, *in_columns(rest)]


SHORT: Final = 22
"""A label this short shares its row in a long list; a longer one keeps a row of its own,
readable whole."""
LONG_LIST: Final = 7


def in_columns(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """A long list of short labels (21 municipalities) in two or three columns, so it fits a
    phone screen; a short list, and every long label, one per row, in the list's order."""
    if len(buttons) < LONG_LIST:
        return [[b] for b in buttons]
    short = [len(b.text) for b in buttons if len(b.text) <= SHORT]
    per_row = 3 if short and max(short) <= 12 else 2
    rows: list[list[InlineKeyboardButton]] = []
    for b in buttons:
        if (
            len(b.text) <= SHORT
            and rows
            and len(rows[-1]) < per_row
            and len(rows[-1][0].text) <= SHORT
        ):
            rows[-1].append(b)
        else:
            rows.append([b])
    return rows


def language_keyboard(languages: Sequence[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.LANGUAGE_NAMES.get(code, code), callback_data=data("l", code)
                )
            ]
            for code in languages
            if fits("l", code)
        ]
    )


def delete_keyboard(language: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.text("delete_yes", language), callback_data="x:yes")],
            [InlineKeyboardButton(texts.text("delete_no", language), callback_data="x:no")],
        ]
    )


def _buttons(markup: InlineKeyboardMarkup | None) -> list[InlineKeyboardButton]:
    if markup is None:
        return []
    return [b for row in markup.inline_keyboard for b in row]


def label_of(markup: InlineKeyboardMarkup | None, callback_data: str) -> str | None:
    """The label of the button with this data, without a toggle mark."""
    for button in _buttons(markup):
        if button.callback_data == callback_data:
            return button.text.removeprefix(CHECKED)
    return None


def toggled(markup: InlineKeyboardMarkup, option_id: str) -> InlineKeyboardMarkup:
    """The keyboard with the option's mark flipped."""
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for b in row:
            cb = parse_callback(b.callback_data if isinstance(b.callback_data, str) else None)
            if cb is not None and cb.kind == "t" and cb.value == option_id:
                label = (
                    b.text.removeprefix(CHECKED) if b.text.startswith(CHECKED) else CHECKED + b.text
                )
                b = InlineKeyboardButton(label, callback_data=b.callback_data)
            new_row.append(b)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)


def selection(markup: InlineKeyboardMarkup | None) -> list[tuple[str, str]]:
    """(option id, label) of every marked option, in keyboard order."""
    chosen = []
    for b in _buttons(markup):
        cb = parse_callback(b.callback_data if isinstance(b.callback_data, str) else None)
        if cb is not None and cb.kind == "t" and b.text.startswith(CHECKED):
            chosen.append((cb.value, b.text.removeprefix(CHECKED)))
    return chosen


def answered(question: str, answer: str) -> str:
    """The question with the person's answer below it, for editing the prompt message."""
    return split_text(question + ANSWERED + answer, MAX_TEXT // 2)[0]
