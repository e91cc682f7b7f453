"""Case codes between their making and their showing: in this process's memory only.

A case code opens the whole case, so no copy of it may rest where the server key reaches:
not in the outbox, not in the transcript (team members would read it there), not in a
database file's write-ahead log. The reply that tells a person their code is therefore
stored with a slot instead of the code, and the code waits here, keyed by its case, until
the reply is delivered or the person's page shows it. After `ttl`, or after a restart, the
slot is filled with an honest sentence instead: the code was shown once and is kept nowhere,
and the office can give a new one.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Final

from bot.clock import Clock
from bot.i18n.catalog import UI

CODE_SLOT: Final = "{case_code}"
"""Where a stored bot line had the code; filled in only on the way to the person."""

HELD: Final = "case_code_held"
"""Payload key: the id of the case whose code goes into this line's slot (and box)."""

CONSOLE_TEXT: Final = "[Fall-Code: nur der Person gezeigt, nirgends gespeichert]"


def gone_text(language: str) -> str:
    """For a code asked for again after it was shown (the catalog's `case.code_gone`)."""
    return UI.get(language, "case.code_gone")


class CodeHold:
    """The codes of the newest cases, for `ttl`, at most `limit` of them."""

    def __init__(
        self, clock: Clock, *, ttl: timedelta = timedelta(hours=1), limit: int = 10_000
    ) -> None:
        self.clock = clock
        self.ttl = ttl
        self.limit = limit
        self._codes: OrderedDict[int, tuple[str, datetime]] = OrderedDict()

    def put(self, case_id: int, code: str) -> None:
        self._codes[case_id] = (code, self.clock() + self.ttl)
        self._codes.move_to_end(case_id)
        while len(self._codes) > self.limit:
            self._codes.popitem(last=False)

    def get(self, case_id: int) -> str | None:
        found = self._codes.get(case_id)
        if found is None:
            return None
        code, until = found
        if self.clock() >= until:
            del self._codes[case_id]
            return None
        return code

    def forget(self, case_id: int) -> None:
        self._codes.pop(case_id, None)

    def reveal(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload as the person sees it: the code in its slot (and box), or, when it is
        no longer held, the sentence that says so. Payloads without a slot pass unchanged."""
        case_id = payload.get(HELD)
        if not isinstance(case_id, int):
            return payload
        shown = dict(payload)
        del shown[HELD]
        code = self.get(case_id)
        text = str(shown.get("text") or "")
        if code is not None:
            shown["text"] = text.replace(CODE_SLOT, code)
            if shown.get("code_box"):
                shown["case_code"] = code
        else:
            gone = gone_text(str(shown.get("language") or "de"))
            if CODE_SLOT in text:
                shown["text"] = text.replace(CODE_SLOT, "\u2013") + "\n" + gone
            else:
                shown["text"] = (text + "\n" + gone).strip()
            shown["case_code"] = None
        shown.pop("code_box", None)
        return shown


def for_console(text: str) -> str:
    """A stored bot line as a counsellor reads it: the slot named, never filled."""
    return text.replace(CODE_SLOT, CONSOLE_TEXT)
