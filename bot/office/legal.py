"""The office's legal pages: privacy notice, imprint, accessibility contact (and whether the
office's other ways of contact are configured).

Where each footer link points, which text our own page shows, what the Telegram notice links,
and what is missing before going live (named by `doctor` and the console's settings page).
Plain functions of the settings, so the chat pages, the console and the Telegram adapter
agree on every link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from bot.settings import LegalSettings, Settings

Kind = Literal["privacy", "imprint"]
KINDS: Final[tuple[Kind, ...]] = ("privacy", "imprint")
PAGE_PATHS: Final[dict[Kind, str]] = {"privacy": "/chat/privacy", "imprint": "/chat/imprint"}
"""Our own pages: they show the configured text, or say that none is configured."""


@dataclass(frozen=True)
class Gap:
    """One thing an office must configure before going live."""

    setting: str
    """Which setting(s) to set, as named in the settings file."""
    what_de: str
    """What is missing, in German, for the console."""
    what_en: str
    """What is missing, in English, for `doctor`."""


def _url(legal: LegalSettings, kind: Kind) -> str | None:
    return legal.privacy_url if kind == "privacy" else legal.imprint_url


def _texts(legal: LegalSettings, kind: Kind) -> dict[str, str]:
    texts = legal.privacy_text if kind == "privacy" else legal.imprint_text
    return {lang: text for lang, text in texts.items() if text.strip()}


def is_configured(legal: LegalSettings, kind: Kind) -> bool:
    return _url(legal, kind) is not None or bool(_texts(legal, kind))


def text(legal: LegalSettings, kind: Kind, language: str) -> tuple[str, str] | None:
    """(language, text) our page shows: the person's language, else German (Leichte Sprache
    falls back to German too), else the first given; None when no text is configured."""
    texts = _texts(legal, kind)
    for lang in (language, "de"):
        if lang in texts:
            return lang, texts[lang]
    if texts:
        first = next(iter(texts))
        return first, texts[first]
    return None


def href(legal: LegalSettings, kind: Kind, language: str, *, embed: bool = False) -> str:
    """The footer link: the office's URL, or our own page (which shows the text, or says that
    nothing is configured, so the link is never dead)."""
    url = _url(legal, kind)
    if url is not None:
        return url
    return f"{PAGE_PATHS[kind]}?lang={language}" + ("&embed=1" if embed else "")


def is_external(legal: LegalSettings, kind: Kind) -> bool:
    return _url(legal, kind) is not None


def public_link(legal: LegalSettings, kind: Kind, language: str) -> str | None:
    """An absolute link for messages outside the browser (Telegram), or None when there is
    nothing to link to or no public address of our own page."""
    url = _url(legal, kind)
    if url is not None:
        return url
    if _texts(legal, kind) and legal.public_url:
        return f"{legal.public_url.rstrip('/')}{PAGE_PATHS[kind]}?lang={language}"
    return None


def gaps(settings: Settings) -> list[Gap]:
    """What the office still has to configure for the privacy notice (DSGVO Art. 13), the
    imprint, the accessibility statements' contact (NBGG) and the other ways of contact a
    person who declines consent is given."""
    legal = settings.legal
    found: list[Gap] = []
    if not is_configured(legal, "privacy"):
        found.append(
            Gap(
                "legal.privacy_url or legal.privacy_text",
                "Datenschutzerklärung der Beratungsstelle",
                "the office's privacy notice",
            )
        )
    if not is_configured(legal, "imprint"):
        found.append(
            Gap(
                "legal.imprint_url or legal.imprint_text",
                "Impressum der Beratungsstelle",
                "the office's imprint",
            )
        )
    if not settings.webchat.accessibility_contact.strip():
        found.append(
            Gap(
                "webchat.accessibility_contact",
                "Kontakt für Meldungen zur Barrierefreiheit (E-Mail-Adresse oder Webadresse)",
                "the contact for accessibility feedback",
            )
        )
    if not settings.office_contact.is_configured():
        found.append(
            Gap(
                "office_contact.phone, .email, .web_url or .address",
                "Telefon, E-Mail, Webadresse oder Anschrift der Beratungsstelle für Menschen, "
                "die dem Chat nicht zustimmen",
                "the office's phone, e-mail, web address or postal address, for people who "
                "do not consent to the chat",
            )
        )
    if settings.telegram.enabled and not legal.public_url:
        for kind in KINDS:
            if not is_external(legal, kind) and _texts(legal, kind):
                found.append(
                    Gap(
                        "legal.public_url",
                        "Öffentliche Adresse dieses Dienstes, damit der Telegram-Hinweis auf "
                        "Datenschutzerklärung und Impressum verlinken kann",
                        "this service's public address, so the Telegram notice can link the "
                        "privacy notice and imprint given as text",
                    )
                )
                break
    return found
