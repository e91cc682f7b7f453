"""The typing hint lasts a few seconds and ends with the person's message."""

from __future__ import annotations

from bot.conversation.typing_board import SHOWN_FOR, TypingBoard


def test_a_typing_hint_expires_and_ends_with_the_message() -> None:
    now = [100.0]
    board = TypingBoard(clock=lambda: now[0])
    assert not board.is_person_typing(7)
    board.person_typing(7)
    assert board.is_person_typing(7) and not board.is_person_typing(8)
    now[0] += SHOWN_FOR + 0.1
    assert not board.is_person_typing(7)
    board.person_typing(7)
    board.stopped(7)
    assert not board.is_person_typing(7)
