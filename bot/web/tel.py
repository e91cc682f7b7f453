"""Phone numbers in the crisis resources as tap-to-call links.

The numbers live in the flow's crisis message, written by admins as text (`Polizei: 110`,
`TelefonSeelsorge: 0800 111 0 111`); on the web they become `tel:` links that never break
across lines. A number is three or more digits, with single spaces between groups; fewer
digits ("24/7", "18 Sprachen") stay text. chat.js does the same for lines it adds live.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

PHONE = re.compile(r"(?<!\d)\+?\d(?:\d| (?=\d)){2,19}(?!\d)")
"""Same pattern as PHONE in bot/static/chat.js."""


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
