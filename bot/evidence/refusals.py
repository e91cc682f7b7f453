"""What a person is told when a file was not taken, on every channel: one text per reason
(the codes of `bot.conversation.service.AttachmentRefused`), with the office's limits."""

from __future__ import annotations

from typing import Final

from bot.evidence.limits import Limits
from bot.i18n.catalog import UI

KEYS: Final = {
    "empty": "web.err_file_empty",
    "too_large": "web.err_file_too_large",
    "unknown_type": "web.err_file_type",
    "malformed": "web.err_file_broken",
    "too_many_pixels": "web.err_file_pixels",
    "polyglot": "web.err_file_mixed",
    "case_full": "web.err_file_case_full",
    "no_conversation": "web.err_file_no_chat",
    "no_consent": "web.err_file_no_consent",
}


def _mb(size: int) -> int:
    return round(size / (1024 * 1024))


def refusal_text(reason: str, language: str | None, limits: Limits) -> str:
    key = KEYS.get(reason, "web.err_file_broken")
    mb = _mb(limits.max_case_bytes) if reason == "case_full" else _mb(limits.max_bytes)
    return UI.get(language, key, mb=mb, count=limits.max_files)
