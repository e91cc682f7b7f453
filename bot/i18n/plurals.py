"""Plural forms from CLDR through Babel: the gettext `Plural-Forms` of a language, and which
CLDR category (one, few, many, …) each gettext form index stands for.

The server picks a form by the gettext expression; the web chat's script picks it with the
browser's `Intl.PluralRules`, which speaks CLDR categories: both come from the same CLDR
rules, so the page and the no-JS form say the same."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from babel import Locale
from babel.messages.plurals import get_plural

from bot.i18n.languages import cldr_locale

_SAMPLES = range(0, 1001)


@dataclass(frozen=True)
class PluralRule:
    count: int
    expression: str
    categories: tuple[str, ...]
    """The CLDR category of each gettext form index."""

    @property
    def header(self) -> str:
        return f"nplurals={self.count}; plural={self.expression};"

    def index(self, n: int) -> int:
        return _compiled(self.expression)(n)


@cache
def _compiled(expression: str) -> Callable[[int], int]:
    compiled: Callable[[int], int] = gettext.c2py(expression)
    return compiled


@cache
def rule(language: str) -> PluralRule:
    locale = cldr_locale(language)
    forms = get_plural(locale)
    pick = _compiled(forms.plural_expr)
    category = Locale.parse(locale).plural_form
    found: dict[int, str] = {}
    for n in _SAMPLES:
        found.setdefault(pick(n), category(n))
    return PluralRule(
        forms.num_plurals,
        forms.plural_expr,
        tuple(found.get(i, "other") for i in range(forms.num_plurals)),
    )
