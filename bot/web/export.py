"""The person's own conversation as a plain-text file (DSGVO Art. 15 and 20): what the chat
page shows, in the page's language, one block per line of the transcript.

Built from the same `transcript` the page renders, so the file and the page cannot
disagree. The case code is left out: it opens the case, and a file outlives the tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol


class ExportLine(Protocol):
    """A line as bot/web/pages.py's `transcript` makes it (not imported: pages imports us)."""

    @property
    def sender(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def case_code(self) -> str | None: ...


SENDER_KEYS: Final = {"person": "sender_person", "counsellor": "sender_counsellor"}


def export_text(lines: Sequence[ExportLine], t: dict[str, str], office: str) -> str:
    title = t["export_title"].format(office=office)
    blocks = [f"{title}\n{'=' * len(title)}"]
    for line in lines:
        label = t[SENDER_KEYS.get(line.sender, "sender_bot")]
        text = line.text.strip()
        if line.case_code:  # a flow may name the code in its handover text too
            text = text.replace(line.case_code, t["export_code_hidden"])
        blocks.append(f"[{label}]\n{text}")
    return "\n\n".join(blocks) + "\n"
