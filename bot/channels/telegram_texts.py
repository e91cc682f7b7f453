# ruff: noqa: RUF001  # texts for people use real typography: en dashes, not hyphens
"""The Telegram channel's own texts, in every language it speaks.

The dialog itself (questions, answers, crisis numbers) comes from the flow; these are the
messages only the Telegram adapter sends: the privacy notice at the first contact, the reply
to voice messages and photos, the refusal of groups, help, language choice and deletion.
Each key has a text in each of `LANGUAGES` (tests/unit/test_telegram_render.py checks it,
and that placeholders match).

Languages as in bot/web/texts.py: `de` German, `ls` Leichte Sprache (Easy German, DIN SPEC
33429), `en` English, `ar` Arabic. To add one: add its code to `LANGUAGES` and
`LANGUAGE_NAMES`, and a text under every key.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("de", "ls", "en", "ar")
DEFAULT_LANGUAGE: Final = "de"
LANGUAGE_NAMES: Final = {
    "de": "Deutsch",
    "ls": "Leichte Sprache",
    "en": "English",
    "ar": "العربية",
}
"""Each language's name in itself, for the /language buttons."""

T: Final[dict[str, dict[str, str]]] = {
    "privacy": {
        "de": (
            "Bevor es losgeht, ein Hinweis zum Datenschutz:\n"
            "• Für Telegram brauchen Sie ein Konto mit Ihrer Telefonnummer.\n"
            "• Telegram speichert Chats mit Bots auf seinen Servern, auch diesen Chat.\n"
            "• Wir sehen Ihre Telefonnummer nicht und fragen nicht danach.\n"
            "Noch besser geschützt ist unser Web-Chat: ohne Konto und ohne Telefonnummer."
            "{webchat}\n"
            "Mit /delete löschen Sie Ihre Angaben bei uns jederzeit.{legal}"
        ),
        "ls": (
            "Ein wichtiger Hinweis:\n"
            "Sie schreiben mit Telegram.\n"
            "Für Telegram brauchen Sie Ihre Telefon-Nummer.\n"
            "Telegram speichert diesen Chat.\n"
            "Wir sehen Ihre Telefon-Nummer nicht.\n"
            "Noch sicherer ist unser Chat im Internet.\n"
            "Dort brauchen Sie keine Telefon-Nummer.{webchat}\n"
            "Sie wollen Ihre Daten bei uns löschen?\n"
            "Dann schreiben Sie: /delete{legal}"
        ),
        "en": (
            "Before we start, a note on privacy:\n"
            "• Telegram needs an account with your phone number.\n"
            "• Telegram keeps chats with bots on its servers, this chat too.\n"
            "• We do not see your phone number and never ask for it.\n"
            "Our web chat is more private: no account and no phone number.{webchat}\n"
            "With /delete you can delete your data with us at any time.{legal}"
        ),
        "ar": (
            "قبل أن نبدأ، ملاحظة حول حماية البيانات:\n"
            "• يتطلب تيليغرام حسابًا برقم هاتفك.\n"
            "• يحفظ تيليغرام المحادثات مع البوتات على خوادمه، وهذه المحادثة أيضًا.\n"
            "• نحن لا نرى رقم هاتفك ولا نسأل عنه.\n"
            "المحادثة على موقعنا أكثر خصوصية: بدون حساب وبدون رقم هاتف.{webchat}\n"
            "يمكنك حذف بياناتك لدينا في أي وقت باستخدام /delete{legal}"
        ),
    },
    # The office's privacy notice and imprint, appended to the first-contact notice when
    # configured (bot/office/legal.py says which link).
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
    # Every message of the bot (not of a counsellor) starts with this line (AI Act Art. 50):
    # the person knows a program answers, not a person.
    "bot": {
        "de": "Automatische Antwort:",
        "ls": "Automatische Antwort vom Computer:",
        "en": "Automatic reply:",
        "ar": "رد آلي:",
    },
    "webchat_link": {
        "de": "\nWeb-Chat: {url}",
        "ls": "\nChat im Internet: {url}",
        "en": "\nWeb chat: {url}",
        "ar": "\nالمحادثة على الموقع: {url}",
    },
    "non_text": {
        "de": (
            "Ich kann hier nur Text lesen. Sprachnachrichten, Fotos, Sticker, Dateien und "
            "Standorte kann ich nicht annehmen; davon wurde nichts gespeichert. Bitte "
            "schreiben Sie Ihre Antwort als Text oder tippen Sie auf eine der Antworten."
        ),
        "ls": (
            "Ich kann nur Text lesen.\n"
            "Ich kann keine Sprach-Nachrichten annehmen.\n"
            "Und keine Fotos, Sticker, Dateien oder Orte.\n"
            "Wir haben davon nichts gespeichert.\n"
            "Bitte schreiben Sie Ihre Antwort.\n"
            "Oder tippen Sie auf eine Antwort."
        ),
        "en": (
            "I can only read text here. I cannot take voice messages, photos, stickers, files "
            "or locations; nothing of it was stored. Please write your answer as text or tap "
            "one of the answers."
        ),
        "ar": (
            "يمكنني هنا قراءة النصوص فقط. لا يمكنني استقبال الرسائل الصوتية أو الصور أو "
            "الملصقات أو الملفات أو المواقع، ولم يُحفظ منها شيء. يُرجى كتابة إجابتك كنص "
            "أو الضغط على إحدى الإجابات."
        ),
    },
    "group_decline": {
        "de": (
            "Dieser Bot ist nur für vertrauliche Gespräche unter vier Augen da und verlässt "
            "diese Gruppe. Bitte schreiben Sie ihm direkt in einem privaten Chat."
        ),
        "ls": (
            "Dieser Bot ist nur für Gespräche zu zweit.\n"
            "Er geht jetzt aus der Gruppe.\n"
            "Bitte schreiben Sie dem Bot allein.\n"
            "In einem privaten Chat."
        ),
        "en": (
            "This bot is only for confidential one-to-one conversations and leaves this "
            "group. Please write to it directly in a private chat."
        ),
        "ar": (
            "هذا البوت مخصص للمحادثات السرية الفردية فقط، وسيغادر هذه المجموعة. "
            "يُرجى مراسلته مباشرة في محادثة خاصة."
        ),
    },
    "help": {
        "de": (
            "So funktioniert dieser Chat:\n"
            "• Tippen Sie auf eine Antwort oder schreiben Sie.\n"
            "• Bei Fragen mit mehreren Antworten: alle passenden antippen, dann „Fertig“.\n"
            "/restart – neu anfangen\n"
            "/language – Sprache wechseln\n"
            "/delete – Ihre Angaben bei uns löschen\n"
            "/help – diese Hilfe\n"
            "In Gefahr? Polizei 110, Notruf 112."
        ),
        "ls": (
            "So geht der Chat:\n"
            "Tippen Sie auf eine Antwort.\n"
            "Oder schreiben Sie.\n"
            "Manchmal passen mehrere Antworten.\n"
            "Dann tippen Sie auf alle passenden Antworten.\n"
            "Danach tippen Sie auf: Fertig.\n"
            "/restart – neu anfangen\n"
            "/language – andere Sprache\n"
            "/delete – Ihre Daten bei uns löschen\n"
            "/help – diese Hilfe\n"
            "Sind Sie in Gefahr? Rufen Sie die Polizei an: 110. Oder den Not-Ruf: 112."
        ),
        "en": (
            "How this chat works:\n"
            "• Tap an answer or write.\n"
            "• Questions with several answers: tap all that fit, then “Done”.\n"
            "/restart – start again\n"
            "/language – change the language\n"
            "/delete – delete your data with us\n"
            "/help – this help\n"
            "In danger? Police 110, emergency 112."
        ),
        "ar": (
            "كيف تعمل هذه المحادثة:\n"
            "• اضغط على إجابة أو اكتب.\n"
            "• في الأسئلة متعددة الإجابات: اضغط على كل ما يناسب، ثم «تم».\n"
            "/restart – البدء من جديد\n"
            "/language – تغيير اللغة\n"
            "/delete – حذف بياناتك لدينا\n"
            "/help – هذه المساعدة\n"
            "في خطر؟ الشرطة 110، الطوارئ 112."
        ),
    },
    "language_prompt": {
        "de": "Welche Sprache möchten Sie?",
        "ls": "Welche Sprache möchten Sie?",
        "en": "Which language would you like?",
        "ar": "ما اللغة التي تفضلها؟",
    },
    "delete_confirm": {
        "de": (
            "Möchten Sie alles löschen, was Sie uns hier geschrieben haben? Auch Ihr Fall bei "
            "der Beratung wird gelöscht. Das kann man nicht rückgängig machen."
        ),
        "ls": (
            "Wollen Sie alles löschen?\n"
            "Dann löschen wir alles, was Sie uns geschrieben haben.\n"
            "Die Beratung kann Ihren Fall dann nicht mehr lesen.\n"
            "Das geht nicht mehr zurück."
        ),
        "en": (
            "Do you want to delete everything you wrote to us here? Your case with the "
            "counselling team is deleted too. This cannot be undone."
        ),
        "ar": (
            "هل تريد حذف كل ما كتبته لنا هنا؟ سيُحذف ملفك لدى فريق الاستشارة أيضًا. "
            "لا يمكن التراجع عن ذلك."
        ),
    },
    "delete_yes": {
        "de": "Ja, alles löschen",
        "ls": "Ja, alles löschen",
        "en": "Yes, delete everything",
        "ar": "نعم، احذف كل شيء",
    },
    "delete_no": {
        "de": "Nein, nicht löschen",
        "ls": "Nein, nicht löschen",
        "en": "No, keep it",
        "ar": "لا، لا تحذف",
    },
    "deleted": {
        "de": (
            "Gelöscht. Bei uns ist nichts mehr von diesem Chat gespeichert. Den Verlauf in "
            "Telegram löschen Sie in der App („Chat löschen“). Mit /start können Sie neu "
            "beginnen."
        ),
        "ls": (
            "Wir haben alles gelöscht.\n"
            "Der Chat ist aber noch in Telegram.\n"
            "Den Chat in Telegram löschen Sie selbst.\n"
            "In der App: Chat löschen.\n"
            "Sie wollen neu anfangen? Dann schreiben Sie: /start"
        ),
        "en": (
            "Deleted. Nothing of this chat is stored with us any more. To delete the history "
            "in Telegram, use “Delete chat” in the app. Send /start to begin again."
        ),
        "ar": (
            "تم الحذف. لم يعد لدينا أي شيء محفوظ من هذه المحادثة. لحذف السجل من تيليغرام "
            "استخدم «حذف المحادثة» في التطبيق. أرسل /start للبدء من جديد."
        ),
    },
    "kept": {
        "de": "Es wurde nichts gelöscht.",
        "ls": "Wir haben nichts gelöscht.",
        "en": "Nothing was deleted.",
        "ar": "لم يُحذف شيء.",
    },
    "counsellor": {
        "de": "Nachricht von der Beratung (ein Mensch schreibt):",
        "ls": "Nachricht von der Beratung. Ein Mensch schreibt:",
        "en": "Message from the counselling team (a person is writing):",
        "ar": "رسالة من فريق الاستشارة (يكتب شخص حقيقي):",
    },
    "stale_button": {
        "de": "Diese Frage ist schon beantwortet.",
        "ls": "Diese Frage ist schon beantwortet.",
        "en": "This question has already been answered.",
        "ar": "تمت الإجابة عن هذا السؤال بالفعل.",
    },
    "slow_down": {
        "de": (
            "Das waren viele Nachrichten in kurzer Zeit. "
            "Bitte warten Sie etwas und schreiben Sie dann noch einmal."
        ),
        "ls": (
            "Sie haben sehr viele Nachrichten geschickt.\n"
            "Bitte warten Sie etwas.\nDann schreiben Sie noch einmal."
        ),
        "en": "That was a lot of messages in a short time. Please wait a while, then write again.",
        "ar": "كانت هذه رسائل كثيرة في وقت قصير. يُرجى الانتظار قليلًا ثم الكتابة مرة أخرى.",
    },
    "busy": {
        "de": "Das hat gerade nicht geklappt. Bitte versuchen Sie es gleich noch einmal.",
        "ls": "Das hat nicht geklappt.\nBitte versuchen Sie es gleich noch einmal.",
        "en": "That did not work just now. Please try again in a moment.",
        "ar": "لم ينجح ذلك الآن. يُرجى المحاولة مرة أخرى بعد قليل.",
    },
    # Command descriptions for the menu (setMyCommands); short, as Telegram shows them.
    "cmd_start": {
        "de": "Beginnen",
        "ls": "Anfangen",
        "en": "Begin",
        "ar": "ابدأ",
    },
    "cmd_help": {
        "de": "Hilfe",
        "ls": "Hilfe",
        "en": "Help",
        "ar": "مساعدة",
    },
    "cmd_language": {
        "de": "Sprache wechseln",
        "ls": "Andere Sprache",
        "en": "Change the language",
        "ar": "تغيير اللغة",
    },
    "cmd_restart": {
        "de": "Neu anfangen",
        "ls": "Neu anfangen",
        "en": "Start again",
        "ar": "البدء من جديد",
    },
    "cmd_delete": {
        "de": "Meine Angaben löschen",
        "ls": "Meine Daten löschen",
        "en": "Delete my data",
        "ar": "حذف بياناتي",
    },
}


def language_of(hint: str | None) -> str:
    """One of LANGUAGES for a flow language or Telegram's language_code ("de-AT", "en")."""
    if hint in LANGUAGES:
        return hint
    base = (hint or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str | None, **values: str) -> str:
    return T[key][language_of(language)].format(**values)
