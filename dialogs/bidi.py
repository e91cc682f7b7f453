"""Mixed-direction text: a Latin-script run inside a right-to-left text (a German name such
as "Antidiskriminierungsstelle der Region Hannover", "Jobcenter", a case code) is set apart
with Unicode isolates (FSI … PDI, UAX #9). Its brackets, punctuation and line breaks then stay
where a reader of the right-to-left text expects them, on every channel, as plain text.
"""

from __future__ import annotations

import re
from typing import Final

RTL_LANGUAGES: Final = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "yi", "dv"})
FSI: Final = "\N{FIRST STRONG ISOLATE}"
PDI: Final = "\N{POP DIRECTIONAL ISOLATE}"

_LATIN = "A-Za-z\u00c0-\u024f"
_RUN: Final = re.compile(
    # A placeholder filled later ({case_code}) is isolated whole, so is what fills it.
    rf"\{{[a-z_]+\}}|[{_LATIN}][{_LATIN}0-9 .'/\-]*[{_LATIN}0-9]|[{_LATIN}]"
)


def isolate_latin(text: str, language: str) -> str:
    """`text` with every Latin-script run isolated, if `language` is written right to left;
    unchanged otherwise. Applying it twice changes nothing more."""
    if language not in RTL_LANGUAGES:
        return text
    plain = text.replace(FSI, "").replace(PDI, "")
    return _RUN.sub(lambda m: f"{FSI}{m.group(0)}{PDI}", plain)
