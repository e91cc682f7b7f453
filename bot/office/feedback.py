"""The accessibility feedback form's way to the office: one e-mail to the office's
accessibility contact, through the SMTP server the new-case alerts use.

Why e-mail and not a table: the feedback is about barriers on our pages, not a case; the
office answers it like any letter, and keeping it out of the database means no new store of
free text that would need its own keys, retention and console page. What the person writes
leaves in that e-mail only (never logged, never stored here); the form asks them not to
write about their case (docs/dsgvo/README.md). Without an e-mail contact or an SMTP server
there is no form, and the statement shows the contact alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Final

from bot.office.alert_senders import AlertFailed, EmailSender
from bot.settings import Settings

MAX_FEEDBACK: Final = 4000
"""Characters of one feedback message; a report of a barrier fits many times over."""
_EMAIL: Final = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+")

__all__ = ["MAX_FEEDBACK", "AlertFailed", "FeedbackMail", "feedback_mail"]


class FeedbackMail:
    def __init__(self, sender: EmailSender, to: str) -> None:
        self.sender = sender
        self.to = to

    async def send(self, page: str, language: str, text: str) -> None:
        """Mail one feedback to the office; raises AlertFailed (the page then says so)."""
        subject = "Rückmeldung zur Barrierefreiheit"
        body = (
            f"Über das Formular der Erklärung zur Barrierefreiheit ({page}, Sprache "
            f"{language}) kam diese Rückmeldung. Sie ist nicht gespeichert; "
            "wer eine Antwort möchte, hat im Text gesagt, wie.\n\n"
            f"{text}\n"
        )
        await self.sender.send_to([self.to], subject, body)


def feedback_mail(settings: Settings, clock: Callable[[], datetime]) -> FeedbackMail | None:
    """The form's sender, or None when the contact is no e-mail address or no SMTP server
    is configured."""
    contact = settings.webchat.accessibility_contact.strip()
    if not _EMAIL.fullmatch(contact) or not settings.notifications.smtp_host:
        return None
    return FeedbackMail(EmailSender(settings.notifications, clock), contact)
