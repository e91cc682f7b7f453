# texts for people use real typography
"""What the person is told about their case: closed, reopened, a new conversation, and the
case-code note of the handover text on each channel.

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text(
        "case.notice.opened_elsewhere",
        "Ihr Gespräch wurde mit dem Fall-Code auf einem anderen Gerät geöffnet. Hier kommen "
        "keine Nachrichten mehr an. Wenn Sie das nicht waren: Bitte melden Sie sich bei der "
        "Beratungsstelle.",
    ),
    text(
        "case.notice.closed",
        "Die Beratungsstelle hat Ihren Fall abgeschlossen. Sie können uns trotzdem wieder "
        "schreiben: Wenn Sie hier schreiben, öffnen wir Ihren Fall wieder.",
    ),
    text(
        "case.notice.reopened",
        "Ihr Fall war abgeschlossen. Wir haben ihn wieder geöffnet: Ihre Nachricht ist bei "
        "der Beratungsstelle angekommen.",
    ),
    text(
        "case.notice.new_after_close",
        "Ihr früherer Fall ist abgeschlossen. Hier beginnt ein neues Gespräch; die "
        "Beratungsstelle sieht, dass es zu Ihrem früheren Fall gehört.",
    ),
    text(
        "case.notice.new_conversation",
        "Hier beginnt ein neues Gespräch. Falls Sie uns früher geschrieben haben: Jenes "
        "Gespräch ist hier nicht mehr gespeichert.",
    ),
    text(
        "case.code_note.telegram",
        "Einen Fall-Code brauchen Sie in Telegram nicht: Schreiben Sie einfach hier in "
        "diesem Chat weiter, auch später.",
    ),
    text(
        "case.code_note.signal",
        "Einen Fall-Code brauchen Sie in Signal nicht: Schreiben Sie einfach hier in diesem "
        "Chat weiter, auch später.",
    ),
    # The flow's {way_back}: asked how to stay in touch, the person learns how they come
    # back, true on their channel.
    text(
        "case.way_back.code",
        "Am Ende bekommen Sie einen Fall-Code. Mit dem Code können Sie später wiederkommen.",
    ),
    text(
        "case.way_back.chat",
        "Einen Fall-Code brauchen Sie hier nicht: Sie können in diesem Chat jederzeit wieder "
        "schreiben.",
    ),
    text(
        "case.code_note.other",
        "Ihr Fall-Code: {code}\n"
        "Bitte schreiben Sie sich diesen Code auf. Mit dem Code können Sie später "
        "wiederkommen. Sie können damit auch das Gespräch löschen lassen.",
    ),
    text(
        "case.code_gone",
        "Ihr Fall-Code wird nur einmal gezeigt und nirgends gespeichert. Wenn Sie ihn nicht "
        "notiert haben: Schreiben Sie einfach hier weiter. Die Beratungsstelle kann Ihnen "
        "einen neuen Code geben.",
    ),
)
