"""What the service itself says in a conversation that Rasa drives (bot/rasa/): Rasa's own
texts come from its domain; these are the few the service needs when Rasa cannot or must not
answer, and the AI Act Art. 50 disclosure said before Rasa's first answer.

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text(
        "rasa.unavailable",
        "Unser automatischer Assistent kann gerade nicht antworten. Ihre Nachricht ist "
        "gespeichert. Sie können die Beratungsstelle trotzdem erreichen: Wählen Sie „Mit "
        "einer Beraterin oder einem Berater schreiben“ und schreiben Sie dann Ihr Anliegen. "
        "Eine Beraterin oder ein Berater liest es. Oder versuchen Sie es gleich noch einmal.",
    ),
    text(
        "rasa.after_crisis",
        "Wenn Sie möchten, können Sie jetzt auch direkt einer Beraterin oder einem Berater "
        "schreiben.",
    ),
    text(
        "rasa.disclosure",
        "Hinweis: Hier antwortet zuerst ein automatischer Assistent, ein Computerprogramm, "
        "kein Mensch. Eine Beraterin oder ein Berater übernimmt, sobald Sie das möchten; wir "
        "sagen Ihnen dann, dass ab jetzt ein Mensch schreibt.",
    ),
    text(
        "rasa.talk_to_counsellor",
        "Mit einer Beraterin oder einem Berater schreiben",
    ),
)
