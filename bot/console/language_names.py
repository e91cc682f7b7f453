"""Languages by their German name, as counsellors and admins read them ("tr" -> "Türkisch"),
from CLDR through Babel."""

from __future__ import annotations

from typing import Final

from babel import Locale

_GERMAN: Final = Locale("de")
_OWN_NAMES: Final = {"ls": "Leichte Sprache"}
"""Flow languages CLDR does not know (Leichte Sprache is German, simplified)."""


def language_name(code: str) -> str:
    """A flow language by its German name; the code itself where CLDR does not know it."""
    if code in _OWN_NAMES:
        return _OWN_NAMES[code]
    name = _GERMAN.languages.get(code)
    return str(name) if name else code
