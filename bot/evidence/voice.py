"""Voice messages (Telegram's Ogg Opus): taken as files, never transcribed.

The file must be an Ogg stream from its first byte to its last (every page read as a page,
nothing before, between or after) carrying exactly one Opus stream that mutagen reads; its
comment header (OpusTags: encoder, and whatever a client put there — a name, a place) is
emptied. The sound itself is kept as it came: it is the evidence.
"""

from __future__ import annotations

import io

from mutagen import MutagenError
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus

OGG_TYPE = "audio/ogg"


class NotVoice(Exception):
    """Not a clean Ogg Opus stream (the caller refuses it)."""


def _pages(data: bytes) -> list[OggPage]:
    stream = io.BytesIO(data)
    pages = []
    while stream.tell() < len(data):
        try:
            pages.append(OggPage(stream))  # type: ignore[no-untyped-call]  # mutagen
        except (MutagenError, EOFError, OSError, ValueError) as exc:
            raise NotVoice("not an Ogg page") from exc
    return pages


def clean_voice(data: bytes) -> tuple[bytes, float]:
    """The stream without its tags, and its length in seconds; NotVoice otherwise."""
    pages = _pages(data)
    if not pages or len({p.serial for p in pages}) != 1:
        raise NotVoice("not a single Ogg stream")
    out = io.BytesIO(data)
    try:
        voice = OggOpus(io.BytesIO(data))  # type: ignore[no-untyped-call]  # mutagen
        if voice.info is None:
            raise NotVoice("no Opus header")
        length = float(voice.info.length)
        voice.delete(out)
    except (MutagenError, OSError, ValueError, ZeroDivisionError) as exc:
        raise NotVoice("not Ogg Opus") from exc
    return out.getvalue(), length
