# ruff: noqa: RUF001  # texts for people use real typography: en dashes, not hyphens
"""What the Signal adapter itself says (not the flow's questions), in the languages the
adapter speaks; any other conversation language hears German."""

from __future__ import annotations

from typing import Final

from bot.channels.text_render import Words

LANGUAGES: Final = ("de", "ls", "en", "ar")
DEFAULT_LANGUAGE: Final = "de"

T: Final[dict[str, dict[str, str]]] = {
    "privacy": {
        "de": (
            "Bevor es losgeht, ein Hinweis zum Datenschutz:\n"
            "• Signal verschlüsselt diesen Chat von Ende zu Ende: Signal selbst kann ihn "
            "nicht lesen.\n"
            "• Wir sehen eine Konto-Kennung von Signal, nicht Ihre Telefonnummer, und "
            "speichern keine Nummer.\n"
            "• Noch besser geschützt ist unser Web-Chat: ohne Konto und ohne Telefonnummer."
            "{webchat}\n"
            "Mit /löschen löschen Sie Ihre Angaben bei uns jederzeit, /hilfe zeigt alle "
            "Befehle.{legal}"
        ),
        "ls": (
            "Ein wichtiger Hinweis:\n"
            "Sie schreiben mit Signal.\n"
            "Signal kann diesen Chat nicht lesen.\n"
            "Wir sehen Ihre Telefon-Nummer nicht.\n"
            "Noch sicherer ist unser Chat im Internet.\n"
            "Dort brauchen Sie keine Telefon-Nummer.{webchat}\n"
            "Sie wollen Ihre Daten bei uns löschen?\n"
            "Dann schreiben Sie: /löschen\n"
            "Hilfe bekommen Sie mit: /hilfe{legal}"
        ),
        "en": (
            "Before we start, a note on privacy:\n"
            "• Signal encrypts this chat end to end: Signal itself cannot read it.\n"
            "• We see a Signal account id, not your phone number, and store no number.\n"
            "• Our web chat is more private still: no account and no phone number.{webchat}\n"
            "With /delete you can delete your data with us at any time; /help lists every "
            "command.{legal}"
        ),
        "ar": (
            "قبل أن نبدأ، ملاحظة حول حماية البيانات:\n"
            "• يشفّر سيغنال هذه المحادثة من طرف إلى طرف: لا يستطيع سيغنال نفسه قراءتها.\n"
            "• نرى معرّف حساب سيغنال، لا رقم هاتفك، ولا نحفظ أي رقم.\n"
            "• المحادثة على موقعنا أكثر خصوصية: بدون حساب وبدون رقم هاتف.{webchat}\n"
            "يمكنك حذف بياناتك لدينا في أي وقت باستخدام /delete، و‏/help تعرض كل الأوامر."
            "{legal}"
        ),
    },
    "webchat_link": {
        "de": "\nWeb-Chat: {url}",
        "ls": "\nChat im Internet: {url}",
        "en": "\nWeb chat: {url}",
        "ar": "\nالمحادثة على الموقع: {url}",
    },
    "privacy_link": {
        "de": "\nDatenschutzerklärung: {url}",
        "ls": "\nMehr zum Daten-Schutz: {url}",
        "en": "\nPrivacy notice: {url}",
        "ar": "\nإشعار الخصوصية: {url}",
    },
    "imprint_link": {
        "de": "\nImpressum: {url}",
        "ls": "\nWer ist für den Chat verantwortlich? {url}",
        "en": "\nImprint: {url}",
        "ar": "\nبيانات الناشر: {url}",
    },
    "help": {
        "de": (
            "So funktioniert dieser Chat:\n"
            "• Antworten Sie mit der Nummer einer Antwort, mit mehreren Nummern (1, 3) oder "
            "schreiben Sie die Antwort aus.\n"
            "/zurück – zur letzten Frage\n"
            "/neu – neu anfangen\n"
            "/sprache – Sprache wechseln\n"
            "/löschen – Ihre Angaben bei uns löschen\n"
            "/hilfe – diese Hilfe\n"
            "(Auch auf Englisch: /back, /restart, /language, /delete, /help.)"
        ),
        "ls": (
            "So geht dieser Chat:\n"
            "Schreiben Sie die Nummer von einer Antwort.\n"
            "Oder schreiben Sie die Antwort.\n"
            "/zurück: Zur letzten Frage.\n"
            "/neu: Noch einmal von vorn.\n"
            "/sprache: Eine andere Sprache.\n"
            "/löschen: Ihre Daten bei uns löschen.\n"
            "/hilfe: Diese Hilfe."
        ),
        "en": (
            "How this chat works:\n"
            "• Answer with the number of an answer, several numbers (1, 3), or write the "
            "answer out.\n"
            "/back – to the last question\n"
            "/restart – start again\n"
            "/language – change the language\n"
            "/delete – delete your data with us\n"
            "/help – this help"
        ),
        "ar": (
            "هكذا تعمل هذه المحادثة:\n"
            "• أجب برقم الإجابة، أو بعدة أرقام (1، 3)، أو اكتب الإجابة.\n"
            "/back – إلى السؤال السابق\n"
            "/restart – البدء من جديد\n"
            "/language – تغيير اللغة\n"
            "/delete – حذف بياناتك لدينا\n"
            "/help – هذه المساعدة"
        ),
    },
    "language_prompt": {
        "de": "Welche Sprache möchten Sie? Schreiben Sie zum Beispiel: /sprache en\n{languages}",
        "ls": "Welche Sprache wollen Sie? Schreiben Sie zum Beispiel: /sprache en\n{languages}",
        "en": "Which language would you like? Write, for example: /language de\n{languages}",
        "ar": "أي لغة تريد؟ اكتب مثلًا: /language en\n{languages}",
    },
    "delete_confirm": {
        "de": (
            "Wirklich alles löschen, was Sie uns hier geschrieben haben? Auch ein Fall bei der "
            "Beratung wird dann gelöscht. Wenn ja, schreiben Sie: /löschen ja"
        ),
        "ls": (
            "Wollen Sie wirklich alles löschen?\n"
            "Dann ist auch Ihr Fall bei der Beratung weg.\n"
            "Wenn ja, schreiben Sie: /löschen ja"
        ),
        "en": (
            "Really delete everything you wrote to us here? A case with the counsellors is "
            "deleted too. If so, write: /delete yes"
        ),
        "ar": (
            "هل تريد حقًا حذف كل ما كتبته لنا هنا؟ تُحذف أيضًا حالتك لدى الاستشارة. "
            "إذا نعم، اكتب: /delete yes"
        ),
    },
    "deleted": {
        "de": (
            "Ihre Angaben bei uns sind gelöscht. Wenn Sie wieder schreiben, beginnt ein neues "
            "Gespräch."
        ),
        "ls": (
            "Ihre Daten bei uns sind jetzt weg.\n"
            "Sie können wieder schreiben. Dann fängt alles neu an."
        ),
        "en": "Your data with us is deleted. If you write again, a new conversation begins.",
        "ar": "تم حذف بياناتك لدينا. إذا كتبت مرة أخرى تبدأ محادثة جديدة.",
    },
    "non_text": {
        "de": (
            "Ich kann hier nur Text lesen. Fotos, Sprachnachrichten, Sticker und Dateien "
            "kann ich nicht annehmen; davon wurde nichts gespeichert. Bitte schreiben Sie "
            "Ihre Antwort als Text."
        ),
        "ls": (
            "Ich kann nur Text lesen.\n"
            "Ich kann keine Fotos und keine Sprach-Nachrichten annehmen.\n"
            "Wir haben davon nichts gespeichert.\n"
            "Bitte schreiben Sie Ihre Antwort."
        ),
        "en": (
            "I can only read text here. Photos, voice messages, stickers and files cannot be "
            "taken; nothing of them was stored. Please write your answer as text."
        ),
        "ar": (
            "يمكنني قراءة النص فقط هنا. لا يمكنني استقبال الصور أو الرسائل الصوتية أو الملصقات "
            "أو الملفات، ولم يُحفظ منها شيء. يُرجى كتابة إجابتك نصًا."
        ),
    },
    "too_long": {
        "de": "Diese Nachricht ist zu lang (höchstens 10.000 Zeichen). Bitte teilen Sie sie auf.",
        "ls": "Die Nachricht ist zu lang.\nBitte schreiben Sie mehrere kürzere Nachrichten.",
        "en": "This message is too long (at most 10,000 characters). Please split it up.",
        "ar": "هذه الرسالة طويلة جدًا (10000 حرف كحد أقصى). يُرجى تقسيمها.",
    },
    "slow_down": {
        "de": (
            "Das waren viele Nachrichten in kurzer Zeit. Bitte warten Sie etwas und "
            "schreiben Sie dann noch einmal."
        ),
        "ls": (
            "Sie haben sehr viele Nachrichten geschickt.\n"
            "Bitte warten Sie etwas.\nDann schreiben Sie noch einmal."
        ),
        "en": "That was a lot of messages in a short time. Please wait a while, then write again.",
        "ar": "كانت هذه رسائل كثيرة في وقت قصير. يُرجى الانتظار قليلًا ثم الكتابة مرة أخرى.",
    },
    "busy": {
        "de": (
            "Das hat gerade nicht geklappt. Bitte schreiben Sie Ihre Nachricht gleich noch einmal."
        ),
        "ls": "Das hat nicht geklappt.\nBitte schreiben Sie Ihre Nachricht gleich noch einmal.",
        "en": "That did not work just now. Please send your message again in a moment.",
        "ar": "لم ينجح ذلك الآن. يُرجى إرسال رسالتك مرة أخرى بعد قليل.",
    },
}

WORDS: Final[dict[str, Words]] = {
    "de": Words(
        bot="Automatische Antwort:",
        counsellor="Nachricht von der Beratung (ein Mensch schreibt):",
        pick_one="Antworten Sie mit der Nummer oder schreiben Sie die Antwort.",
        pick_several="Sie können mehrere Nummern schreiben, zum Beispiel: 1, 3",
        or_number="Oder antworten Sie mit einer Nummer.",
        back="/zurück – zur letzten Frage",
        restart="/neu – neu anfangen",
    ),
    "ls": Words(
        bot="Automatische Antwort vom Computer:",
        counsellor="Nachricht von der Beratung. Ein Mensch schreibt:",
        pick_one="Schreiben Sie die Nummer von Ihrer Antwort.",
        pick_several="Sie können mehrere Nummern schreiben. Zum Beispiel: 1, 3",
        or_number="Oder schreiben Sie eine Nummer.",
        back="/zurück: Zur letzten Frage.",
        restart="/neu: Noch einmal von vorn.",
    ),
    "en": Words(
        bot="Automatic reply:",
        counsellor="Message from the counselling team (a person is writing):",
        pick_one="Answer with the number, or write the answer.",
        pick_several="You can write several numbers, for example: 1, 3",
        or_number="Or answer with a number.",
        back="/back – to the last question",
        restart="/restart – start again",
    ),
    "ar": Words(
        bot="رد آلي:",
        counsellor="رسالة من فريق الاستشارة (يكتب شخص حقيقي):",
        pick_one="أجب بالرقم أو اكتب الإجابة.",
        pick_several="يمكنك كتابة عدة أرقام، مثلًا: 1، 3",
        or_number="أو أجب برقم.",
        back="/back – إلى السؤال السابق",
        restart="/restart – البدء من جديد",
    ),
}


def language_of(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str | None, **values: str) -> str:
    return T[key][language_of(language)].format(**values)


def words(language: str | None) -> Words:
    return WORDS[language_of(language)]
