"""How large and how many files people may send; `bot.settings` builds it from `[attachments]`
without importing the image and PDF libraries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

FILES_PER_POST: Final = 10
"""Files the web chat's form takes at once (each becomes a message of its own)."""


@dataclass(frozen=True)
class Limits:
    """Settings `[attachments]`; the defaults are theirs."""

    max_bytes: int = 10 * 1024 * 1024
    """Per file, as sent and as cleaned."""
    max_pixels: int = 50_000_000
    """Width times height, read from the header before any pixel is decoded (bombs)."""
    max_case_bytes: int = 30 * 1024 * 1024
    """All files of one conversation together."""
    max_files: int = 20
    """Files in one conversation."""
