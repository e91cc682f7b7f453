"""The office's other ways of contact, as the flow's `{office_contact}` says them.

A person who does not consent to the chat must still be able to reach the office: the
`consent_declined` text names its phone, e-mail, web page, address and hours, one line each
with a label in the person's language (bot/i18n/sources/office.py). Phone, e-mail and web
page come with links (tel:, mailto:, https:) that the web chat shows as links and text-only
channels leave as text. Nothing configured: a sentence that points to the office's website,
so the text still reads right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.channels.base import Link
from bot.i18n.catalog import UI
from bot.i18n.languages import is_language
from bot.settings import OfficeContactSettings
from dialogs.bidi import FSI, PDI, RTL_LANGUAGES, isolate_latin

PLACEHOLDER = "{office_contact}"

PHONE = re.compile(r"(?<!\d)\+?\d(?:\d| (?=\d)){2,19}(?!\d)")
"""A phone number as admins write it in a flow's text (`112`, `0800 111 0 111`): three or
more digits with single spaces between groups. Same as PHONE in bot/static/chat.js, which
links the crisis numbers with it."""


@dataclass(frozen=True)
class Filled:
    text: str
    links: tuple[Link, ...]


def _language(language: str, default_language: str) -> str:
    if is_language(language):
        return language
    return default_language if is_language(default_language) else "de"


def _hours(contact: OfficeContactSettings, language: str) -> str:
    for lang in (language, "de"):
        if contact.hours.get(lang, "").strip():
            return contact.hours[lang].strip()
    return next((h.strip() for h in contact.hours.values() if h.strip()), "")


def tel_href(phone: str) -> str:
    """Only what a phone dials: "0511 616-12345" → tel:051161612345."""
    return "tel:" + re.sub(r"[^0-9+]", "", phone)


def lines(contact: OfficeContactSettings, office_name: str, language: str) -> Filled:
    """What stands in for `{office_contact}` in `language` (already a shipped language).

    In a right-to-left text each number, address and link is isolated whole (FSI … PDI):
    `isolate_latin` would cut an e-mail address at its "@" and the link's text would no
    longer stand in the text in one piece."""
    rtl = language in RTL_LANGUAGES

    def kept(value: str) -> str:
        return f"{FSI}{value}{PDI}" if rtl else value

    said: list[str] = []
    links: list[Link] = []
    linked = (
        ("office.contact_phone", contact.phone, tel_href(contact.phone)),
        ("office.contact_email", contact.email, f"mailto:{contact.email}"),
        ("office.contact_web", contact.web_url or "", contact.web_url or ""),
    )
    for key, value, href in linked:
        if value:
            said.append(f"{UI.get(language, key)}: {kept(value)}")
            links.append(Link(value, href))
    plain = (
        ("office.contact_address", " ".join(contact.address.split())),
        ("office.contact_hours", " ".join(_hours(contact, language).split())),
    )
    for key, value in plain:
        if value:
            said.append(f"{UI.get(language, key)}: {isolate_latin(value, language)}")
    if not said:
        none = UI.get(language, "office.contact_none", office=office_name)
        return Filled(isolate_latin(none, language), ())
    return Filled("\n".join(said), tuple(links))


def numbers(text: str) -> list[Link]:
    """The phone numbers the flow's own text gives (Polizei 110, Notruf 112, a helpline), as
    tel: links, as the web chat links the numbers of the crisis message. "24/7" and
    "18 Sprachen" have too few digits to be one."""
    found = (m.group(0) for m in PHONE.finditer(text))
    return [Link(n, "tel:" + n.replace(" ", "")) for n in found if sum(map(str.isdigit, n)) >= 3]


def fill(
    text: str,
    contact: OfficeContactSettings,
    office_name: str,
    language: str,
    default_language: str = "de",
) -> Filled:
    """`text` with `{office_contact}` filled in, and the links it then holds, in the order
    they stand: the numbers of the flow's text around it, and the office's own. Works on a
    text already isolated for right-to-left (`isolate_latin` isolates the placeholder whole).

    Only the flow's text is searched for numbers: the office's address and hours hold
    digits too (a postcode, "9 bis 12 Uhr") that are no phone number."""
    if PLACEHOLDER not in text:
        return Filled(text, ())
    filled = lines(contact, office_name, _language(language, default_language))
    parts = text.replace(f"{FSI}{PLACEHOLDER}{PDI}", PLACEHOLDER).split(PLACEHOLDER)
    links: list[Link] = []
    for i, part in enumerate(parts):
        if i:
            links.extend(filled.links)
        links.extend(numbers(part))
    return Filled(filled.text.join(parts), tuple(links))
