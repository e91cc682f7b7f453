"""What the service itself says in a conversation that Rasa drives (rasa.drive_conversations).

Rasa's own texts come from its domain; these are the few the service needs when Rasa cannot
or must not answer. Languages as in the shipped intake flow; others get German.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_LANGUAGE = "de"

UNAVAILABLE: Mapping[str, str] = {
    "de": (
        "Unser automatischer Assistent kann gerade nicht antworten. "
        "Ihre Nachricht ist gespeichert. "
        "Sie können die Beratungsstelle trotzdem erreichen: Wählen Sie „Mit einer Beraterin "
        "oder einem Berater schreiben“ und schreiben Sie dann Ihr Anliegen. Eine Beraterin "
        "oder ein Berater liest es. Oder versuchen Sie es gleich noch einmal."
    ),
    "ls": (
        "Unser automatischer Assistent kann gerade nicht antworten. "
        "Ihre Nachricht ist gespeichert. "
        "Sie können trotzdem mit uns schreiben. Drücken Sie auf: Mit einer Beraterin "
        "oder einem Berater schreiben. Dann schreiben Sie uns. Ein Mensch liest das."
    ),
    "en": (
        "Our automatic assistant cannot answer right now. Your message has been saved. "
        "You can still "
        "reach the counselling office: choose “Write to a counsellor” and then write your "
        "message. A counsellor will read it. Or try again in a moment."
    ),
}

AFTER_CRISIS: Mapping[str, str] = {
    "de": (
        "Wenn Sie möchten, können Sie jetzt auch direkt einer Beraterin oder einem Berater "
        "schreiben."
    ),
    "ls": "Sie können jetzt auch mit einer Beraterin oder einem Berater schreiben.",
    "en": "If you like, you can also write to a counsellor now.",
}

DISCLOSURE: Mapping[str, str] = {
    "de": (
        "Hinweis: Hier antwortet zuerst ein automatischer Assistent, ein Computerprogramm, "
        "kein Mensch. Eine Beraterin oder ein Berater übernimmt, sobald Sie das möchten; "
        "wir sagen Ihnen dann, dass ab jetzt ein Mensch schreibt."
    ),
    "ls": (
        "Wichtig: Zuerst antwortet ein automatischer Assistent. Das ist ein Computer. "
        "Das ist kein Mensch. Sie wollen mit einem Menschen schreiben? Dann sagen Sie es. "
        "Wir sagen Ihnen dann: Jetzt schreibt ein Mensch."
    ),
    "en": (
        "Please note: an automatic assistant, a computer program, answers here first, not a "
        "person. A counsellor takes over as soon as you wish; we will tell you when a person "
        "is writing from then on."
    ),
}
"""Said once at the start of every conversation Rasa drives (AI Act Art. 50), before
Rasa's first answer; Rasa's own texts cannot be relied on to say it."""

TALK_TO_COUNSELLOR: Mapping[str, str] = {
    "de": "Mit einer Beraterin oder einem Berater schreiben",
    "ls": "Mit einer Beraterin oder einem Berater schreiben",
    "en": "Write to a counsellor",
}


def text(table: Mapping[str, str], language: str) -> str:
    return table.get(language) or table[DEFAULT_LANGUAGE]
