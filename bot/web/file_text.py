"""How a file the person sent reads in their transcript ("Datei: Bild, 1,2 MB"), on the
page, in the export and (as the same words) in chat.js."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal

from bot.i18n.languages import html_lang


def size_text(size: int, language: str) -> str:
    locale = html_lang(language).replace("-", "_")
    if size < 1024 * 1024:
        return f"{format_decimal(max(1, round(size / 1024)), locale=locale)} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1), format='#,##0.#', locale=locale)} MB"


def file_line(meta: dict[str, Any], t: dict[str, str], language: str) -> str:
    kind = {"application/pdf": t["attachment_pdf"], "audio/ogg": t["attachment_audio"]}.get(
        str(meta.get("type")), t["attachment_image"]
    )
    size = meta.get("size")
    return t["attachment_line"].format(
        kind=kind, size=size_text(size if isinstance(size, int) else 0, language)
    )
