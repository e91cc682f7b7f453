"""Phone numbers in the crisis resources as tap-to-call links, and the office's contact
(`linked`) as the links its message carries.

The numbers live in the flow's crisis message, written by admins as text (`Polizei: 110`,
`TelefonSeelsorge: 0800 111 0 111`); on the web they become `tel:` links that never break
across lines. A number is three or more digits, with single spaces between groups; fewer
digits ("24/7", "18 Sprachen") stay text. chat.js does the same for lines it adds live.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

from bot.office.contact import PHONE


def tel_links(text: str) -> Markup:
    out: list[str] = []
    last = 0
    for match in PHONE.finditer(text):
        number = match.group(0)
        if sum(c.isdigit() for c in number) < 3:
            continue
        out.append(escape(text[last : match.start()]))
        href = "tel:" + number.replace(" ", "")
        out.append(Markup('<a class="tel" href="{}" dir="ltr">{}</a>').format(href, number))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


SAFE_HREF = re.compile(r"^(tel:\+?[0-9]+|mailto:[^\s<>\"']+|https?://[^\s<>\"']+)$")
"""What a message's link may lead to; anything else stays text. Same as SAFE_HREF in chat.js."""


def linked(text: str, links: Sequence[Sequence[str]]) -> Markup:
    """`text` with each of `links` ([text, href], the parts the service made links of: the
    office's phone, e-mail and web page, the emergency numbers around them) as a link where
    it first stands; a phone number never breaks across lines, like the crisis numbers."""
    out: list[Markup] = []
    rest = text
    for part, href in links:
        at = _find(rest, part) if part and SAFE_HREF.match(href) else -1
        if at < 0:
            continue
        kind = "tel" if href.startswith("tel:") else "link"
        out.append(escape(rest[:at]))
        out.append(Markup('<a class="{}" href="{}" dir="ltr">{}</a>').format(kind, href, part))
        rest = rest[at + len(part) :]
    out.append(escape(rest))
    return Markup("").join(out)


def _find(text: str, part: str) -> int:
    """Where `part` first stands in `text` as a whole: "110" not inside "30110" (a postcode
    in the office's address before it). Same as find() in chat.js."""
    at = text.find(part)
    while at >= 0:
        before = text[at - 1] if at else ""
        after = text[at + len(part) : at + len(part) + 1]
        cut = (part[0].isdigit() and before.isdigit()) or (part[-1].isdigit() and after.isdigit())
        if not cut:
            return at
        at = text.find(part, at + 1)
    return -1
