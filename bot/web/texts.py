# ruff: noqa: RUF001  # texts for people use real typography: en dashes, not hyphens
"""Every text of the web chat's page chrome, in one place, in every UI language.

The chat *content* (questions, answers) comes from the flow; these are the texts around it:
title, labels, buttons, statuses, errors, quick exit, delete confirmation, the
accessibility statement. Each key has a text in each of `LANGUAGES`
(tests/unit/test_web_texts.py checks it, and that placeholders such as `{n}` match).

Languages: `de` German, `ls` Leichte Sprache (Easy German, DIN SPEC 33429: short sentences,
one statement each, long words split with a middle dot), `en` English, `ar` Arabic (RTL).
The shipped flow has only de/ls/en; with `ar` the chat content falls back to the flow's
default language (unless the flow has Arabic texts) while the page chrome is Arabic and
right-to-left.

To add a language: add its code to `LANGUAGES`, `HTML_LANG`, `DIRECTION`, `LANGUAGE_NAMES`
and a text under every key; the test names each missing one.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

UiLanguage = Literal["de", "ls", "en", "ar"]
LANGUAGES: Final[tuple[UiLanguage, ...]] = get_args(UiLanguage)
DEFAULT_LANGUAGE: Final[UiLanguage] = "de"

HTML_LANG: Final[dict[UiLanguage, str]] = {"de": "de", "ls": "de", "en": "en", "ar": "ar"}
"""BCP 47 tag for `<html lang>`: Leichte Sprache is German (marked visibly on the page)."""
DIRECTION: Final[dict[UiLanguage, str]] = {"de": "ltr", "ls": "ltr", "en": "ltr", "ar": "rtl"}
FLOW_LANGUAGE: Final[dict[UiLanguage, str | None]] = {
    "de": "de",
    "ls": "ls",
    "en": "en",
    "ar": "ar",
}
"""The language asked of the flow (None: the flow's default). A flow without it keeps its
default language (the conversation service and the engine ignore unknown languages)."""
LANGUAGE_NAMES: Final[dict[UiLanguage, str]] = {
    "de": "Deutsch",
    "ls": "Leichte Sprache",
    "en": "English",
    "ar": "العربية",
}
"""Each language's name in itself, for the language switch."""

STATEMENT_DATE: Final = "2026-11-25"
"""When the accessibility statement was last reviewed (ISO date; update on every review)."""
ENFORCEMENT_URL: Final = "https://www.behindertenbeauftragte-niedersachsen.de/"
"""Niedersachsen's enforcement body for accessibility (verify before going live)."""


def is_language(value: str | None) -> bool:
    return value in LANGUAGES


T: Final[dict[str, dict[UiLanguage, str]]] = {
    # ------------------------------------------------------------ page and header
    "page_title": {
        "de": "Chat",
        "ls": "Chat",
        "en": "Chat",
        "ar": "المحادثة",
    },
    "heading": {
        "de": "Chat: Hilfe bei Diskriminierung",
        "ls": "Chat: Hilfe bei Diskriminierung",
        "en": "Chat: help with discrimination",
        "ar": "محادثة: مساعدة في حالات التمييز",
    },
    "intro": {
        "de": "Anonym und kostenlos. Sie müssen keinen Namen nennen.",
        "ls": "Der Chat ist kostenlos. Sie müssen Ihren Namen nicht sagen.",
        "en": "Anonymous and free of charge. You do not have to give your name.",
        "ar": "مجهول الهوية ومجاني. لا يلزمك ذكر اسمك.",
    },
    "more": {
        "de": "Mehr dazu",
        "ls": "Mehr lesen",
        "en": "More about this",
        "ar": "المزيد",
    },
    "ls_marker": {
        "de": "Leichte Sprache",
        "ls": "Leichte Sprache",
        "en": "Easy German",
        "ar": "لغة ألمانية مبسطة",
    },
    "skip_to_answer": {
        "de": "Zur Antwort springen",
        "ls": "Gleich zur Antwort gehen",
        "en": "Skip to your answer",
        "ar": "انتقل إلى الإجابة",
    },
    "skip_to_content": {
        "de": "Zum Inhalt springen",
        "ls": "Gleich zum Text gehen",
        "en": "Skip to content",
        "ar": "انتقل إلى المحتوى",
    },
    "quick_exit": {
        "de": "Seite schnell verlassen",
        "ls": "Schnell weg von dieser Seite",
        "en": "Quick exit",
        "ar": "مغادرة الصفحة بسرعة",
    },
    "quick_exit_hint": {
        "de": "Sie können auch die Esc-Taste drücken.",
        "ls": "Oder drücken Sie die Taste Esc.",
        "en": "You can also press the Esc key.",
        "ar": "يمكنك أيضًا الضغط على مفتاح Esc.",
    },
    "language_nav": {
        "de": "Sprache",
        "ls": "Sprache",
        "en": "Language",
        "ar": "اللغة",
    },
    "settings": {
        "de": "Sprache und Schriftgröße",
        "ls": "Sprache und Schrift-Größe",
        "en": "Language and text size",
        "ar": "اللغة وحجم الخط",
    },
    "text_size": {
        "de": "Schriftgröße",
        "ls": "Schrift-Größe",
        "en": "Text size",
        "ar": "حجم الخط",
    },
    "text_size_1": {
        "de": "Normale Schrift",
        "ls": "Normale Schrift",
        "en": "Normal text",
        "ar": "خط عادي",
    },
    "text_size_2": {
        "de": "Große Schrift",
        "ls": "Große Schrift",
        "en": "Large text",
        "ar": "خط كبير",
    },
    "text_size_3": {
        "de": "Sehr große Schrift",
        "ls": "Sehr große Schrift",
        "en": "Very large text",
        "ar": "خط كبير جدًا",
    },
    # ------------------------------------------------------------ the conversation
    "log_heading": {
        "de": "Gesprächsverlauf",
        "ls": "Das Gespräch bis jetzt",
        "en": "Conversation",
        "ar": "سجل المحادثة",
    },
    "sender_person": {
        "de": "Sie",
        "ls": "Sie",
        "en": "You",
        "ar": "أنت",
    },
    # Every automated line carries this label, visibly (AI Act Art. 50): plain words, not a
    # product name. Languages added later need their own words here, not a translation of
    # "assistant" (tests/unit/test_disclosure.py checks each language has one).
    "sender_bot": {
        "de": "Automatische Antwort",
        "ls": "Automatische Antwort vom Computer",
        "en": "Automatic reply",
        "ar": "رد آلي",
    },
    "sender_counsellor": {
        "de": "Beratungsstelle (ein Mensch)",
        "ls": "Beratungs-Stelle: Ein Mensch schreibt",
        "en": "Counselling office (a person)",
        "ar": "مكتب الاستشارة (شخص حقيقي)",
    },
    "crisis_label": {
        "de": "Wichtig – Hilfe in einer Notlage",
        "ls": "Wichtig: Hilfe, wenn Sie in Gefahr sind",
        "en": "Important – help in an emergency",
        "ar": "مهم – مساعدة في حالة الطوارئ",
    },
    "case_code_label": {
        "de": "Ihr Fall-Code",
        "ls": "Ihr Fall-Code",
        "en": "Your case code",
        "ar": "رمز حالتك",
    },
    "case_code_hint": {
        "de": "Schreiben Sie sich den Code auf. Sie müssen nicht hier warten: Kommen Sie "
        "später auf diese Seite zurück und geben Sie den Code ein, dann lesen Sie die Antwort "
        "der Beratung und können weiterschreiben, auch auf einem anderen Gerät.",
        "ls": "Schreiben Sie den Fall-Code auf. Sie müssen nicht hier warten. Kommen Sie später "
        "wieder auf diese Seite. Geben Sie den Fall-Code ein. Dann lesen Sie die Antwort. Das geht "
        "auch an einem anderen Handy oder Computer.",
        "en": "Write the code down. You need not wait here: come back to this page later and "
        "enter the code to read the counsellor's answer and continue, also on another device.",
        "ar": "اكتب هذا الرمز واحتفظ به. لا تحتاج إلى الانتظار هنا: عد إلى هذه الصفحة لاحقًا "
        "وأدخل الرمز لتقرأ رد المستشار وتتابع الكتابة، حتى على جهاز آخر.",
    },
    "copy_code": {
        "de": "Code kopieren",
        "ls": "Fall-Code kopieren",
        "en": "Copy code",
        "ar": "نسخ الرمز",
    },
    "copied": {
        "de": "Der Code ist kopiert.",
        "ls": "Der Fall-Code ist kopiert.",
        "en": "The code has been copied.",
        "ar": "تم نسخ الرمز.",
    },
    "copy_failed": {
        "de": "Kopieren ging nicht. Bitte schreiben Sie den Code ab.",
        "ls": "Kopieren hat nicht geklappt. Bitte schreiben Sie den Fall-Code ab.",
        "en": "Copying did not work. Please write the code down.",
        "ar": "لم ينجح النسخ. يرجى كتابة الرمز يدويًا.",
    },
    "sending": {
        "de": "wird gesendet …",
        "ls": "wird geschickt …",
        "en": "sending …",
        "ar": "جارٍ الإرسال …",
    },
    "not_sent": {
        "de": "nicht gesendet",
        "ls": "nicht geschickt",
        "en": "not sent",
        "ar": "لم يُرسل",
    },
    "skipped": {
        "de": "(übersprungen)",
        "ls": "(keine Antwort)",
        "en": "(skipped)",
        "ar": "(تم التخطي)",
    },
    "empty_log": {
        "de": "Noch keine Nachrichten.",
        "ls": "Es gibt noch keine Nachrichten.",
        "en": "No messages yet.",
        "ar": "لا توجد رسائل بعد.",
    },
    # ------------------------------------------------------------ answering
    "composer_heading": {
        "de": "Ihre Antwort",
        "ls": "Ihre Antwort",
        "en": "Your answer",
        "ar": "إجابتك",
    },
    "answer_label": {
        "de": "Ihre Antwort",
        "ls": "Ihre Antwort",
        "en": "Your answer",
        "ar": "إجابتك",
    },
    "date_label": {
        "de": "Datum (wenn Sie es kennen)",
        "ls": "Datum. Wenn Sie es wissen.",
        "en": "Date (if you know it)",
        "ar": "التاريخ (إذا كنت تعرفه)",
    },
    "date_send": {
        "de": "Datum senden",
        "ls": "Datum schicken",
        "en": "Send date",
        "ar": "إرسال التاريخ",
    },
    "or_choose": {
        "de": "Oder wählen Sie eine Antwort",
        "ls": "Oder wählen Sie eine Antwort",
        "en": "Or pick an answer",
        "ar": "أو اختر إجابة",
    },
    "message_label": {
        "de": "Ihre Nachricht an die Beratungsstelle",
        "ls": "Ihre Nachricht an die Beratungs-Stelle",
        "en": "Your message to the counselling office",
        "ar": "رسالتك إلى مكتب الاستشارة",
    },
    "send": {
        "de": "Senden",
        "ls": "Schicken",
        "en": "Send",
        "ar": "إرسال",
    },
    "unticked": {
        "de": "Nur allein wählbar, daher abgewählt:",
        "ls": "Das geht nur allein. Diese Antwort ist jetzt nicht mehr gewählt:",
        "en": "Only on its own, so unticked:",
        "ar": "لا يمكن اختياره إلا بمفرده، لذلك أُلغي تحديد:",
    },
    "several_hint": {
        "de": "Sie können mehrere Antworten wählen.",
        "ls": "Sie können mehrere Antworten wählen.",
        "en": "You can pick several answers.",
        "ar": "يمكنك اختيار أكثر من إجابة.",
    },
    "choose_at_least": {
        "de": "Bitte wählen Sie mindestens {n} Antworten.",
        "ls": "Bitte wählen Sie mindestens {n} Antworten.",
        "en": "Please pick at least {n} answers.",
        "ar": "يرجى اختيار {n} إجابات على الأقل.",
    },
    "choose_at_least_one": {
        "de": "Bitte wählen Sie mindestens eine Antwort.",
        "ls": "Bitte wählen Sie mindestens 1 Antwort.",
        "en": "Please pick at least one answer.",
        "ar": "يرجى اختيار إجابة واحدة على الأقل.",
    },
    "choose_at_most": {
        "de": "Bitte wählen Sie höchstens {n} Antworten.",
        "ls": "Bitte wählen Sie nicht mehr als {n} Antworten.",
        "en": "Please pick at most {n} answers.",
        "ar": "يرجى اختيار {n} إجابات على الأكثر.",
    },
    "choose_at_most_one": {
        "de": "Bitte wählen Sie nur eine Antwort.",
        "ls": "Bitte wählen Sie nur 1 Antwort.",
        "en": "Please pick only one answer.",
        "ar": "يرجى اختيار إجابة واحدة فقط.",
    },
    "chars_count": {
        "de": "{n} von {max} Zeichen",
        "ls": "{n} von {max} Zeichen",
        "en": "{n} of {max} characters",
        "ar": "{n} من {max} حرفًا",
    },
    "chars_full": {
        "de": "Die Höchstzahl an Zeichen ist erreicht.",
        "ls": "Sie können nicht mehr schreiben. Der Text ist voll.",
        "en": "You have reached the maximum number of characters.",
        "ar": "لقد وصلت إلى الحد الأقصى لعدد الأحرف.",
    },
    "start_text": {
        "de": "Der Chat stellt Ihnen ein paar Fragen. Danach meldet sich die Beratungsstelle.",
        "ls": "Der Chat fragt Sie ein paar Dinge. Danach schreibt Ihnen die Beratungs-Stelle.",
        "en": "The chat asks you a few questions. Then the counselling office gets back to you.",
        "ar": "ستطرح عليك المحادثة بعض الأسئلة. بعد ذلك سيتواصل معك مكتب الاستشارة.",
    },
    "start_button": {
        "de": "Chat beginnen",
        "ls": "Chat anfangen",
        "en": "Start the chat",
        "ar": "ابدأ المحادثة",
    },
    "new_chat": {
        "de": "Neues Gespräch beginnen",
        "ls": "Neues Gespräch anfangen",
        "en": "Start a new conversation",
        "ar": "بدء محادثة جديدة",
    },
    "ended": {
        "de": "Dieses Gespräch ist beendet.",
        "ls": "Das Gespräch ist zu Ende.",
        "en": "This conversation has ended.",
        "ar": "انتهت هذه المحادثة.",
    },
    "handed_over": {
        "de": "Ihr Anliegen ist bei der Beratungsstelle. Ab jetzt antwortet Ihnen ein Mensch, "
        "keine automatische Antwort mehr. Sie können hier weiterschreiben.",
        "ls": "Die Beratungs-Stelle hat Ihre Nachricht. Ab jetzt schreibt Ihnen ein Mensch. "
        "Nicht mehr der Computer. Sie können hier weiter-schreiben.",
        "en": "Your request is with the counselling office. From now on a person answers you, "
        "not an automatic reply. You can keep writing here.",
        "ar": "طلبك لدى مكتب الاستشارة. من الآن يرد عليك شخص حقيقي وليس ردًا آليًا. "
        "يمكنك متابعة الكتابة هنا.",
    },
    "welcome_back": {
        "de": "Willkommen zurück.",
        "ls": "Willkommen zurück.",
        "en": "Welcome back.",
        "ar": "مرحبًا بعودتك.",
    },
    "status_queued": {
        "de": "Ihr Fall wartet auf eine Beraterin oder einen Berater.",
        "ls": "Ihr Fall wartet. Bald liest eine Beraterin oder ein Berater Ihre Nachricht.",
        "en": "Your case is waiting for a counsellor.",
        "ar": "حالتك بانتظار مستشار أو مستشارة.",
    },
    "status_counsellor": {
        "de": "Eine Beraterin oder ein Berater schreibt mit Ihnen.",
        "ls": "Eine Beraterin oder ein Berater schreibt mit Ihnen.",
        "en": "A counsellor is writing with you.",
        "ar": "مستشار أو مستشارة يكتب معك.",
    },
    "case_closed": {
        "de": "Die Beratungsstelle hat Ihren Fall abgeschlossen. Wenn Sie hier schreiben, "
        "wird er wieder geöffnet.",
        "ls": "Die Beratungs-Stelle hat Ihren Fall beendet. Sie schreiben hier? "
        "Dann machen wir den Fall wieder auf.",
        "en": "The counselling office has closed your case. If you write here, it is reopened.",
        "ar": "أغلق مكتب الاستشارة حالتك. إذا كتبت هنا، يُعاد فتحها.",
    },
    "unreadable": {
        "de": "Dieses Gespräch ist bei der Beratungsstelle. Geben Sie Ihren Fall-Code ein, "
        "um es auf diesem Gerät zu lesen.",
        "ls": "Das Gespräch ist bei der Beratungs-Stelle. Sie wollen es hier lesen? "
        "Dann geben Sie Ihren Fall-Code ein.",
        "en": "This conversation is with the counselling office. Enter your case code to "
        "read it on this device.",
        "ar": "هذه المحادثة لدى مكتب الاستشارة. أدخل رمز حالتك لقراءتها على هذا الجهاز.",
    },
    # ------------------------------------------------------------ more options
    "more_heading": {
        "de": "Weitere Möglichkeiten",
        "ls": "Was Sie noch machen können",
        "en": "More options",
        "ar": "خيارات أخرى",
    },
    "resume_heading": {
        "de": "Ich habe einen Fall-Code",
        "ls": "Ich habe einen Fall-Code",
        "en": "I have a case code",
        "ar": "لدي رمز حالة",
    },
    "resume_label": {
        "de": "Fall-Code",
        "ls": "Fall-Code",
        "en": "Case code",
        "ar": "رمز الحالة",
    },
    "resume_hint": {
        "de": "12 Zeichen, zum Beispiel K7QF-3MZP-9TXA",
        "ls": "Der Fall-Code hat 12 Zeichen. Zum Beispiel: K7QF-3MZP-9TXA",
        "en": "12 characters, for example K7QF-3MZP-9TXA",
        "ar": "12 حرفًا، مثلًا K7QF-3MZP-9TXA",
    },
    "resume_button": {
        "de": "Gespräch fortsetzen",
        "ls": "Weiter-schreiben",
        "en": "Continue the conversation",
        "ar": "متابعة المحادثة",
    },
    "remember_label": {
        "de": "Diesen Chat auf diesem Gerät merken",
        "ls": "Dieses Gerät soll sich den Chat merken",
        "en": "Remember this chat on this device",
        "ar": "تذكّر هذه المحادثة على هذا الجهاز",
    },
    "remember_hint": {
        "de": "Nur auf Ihrem eigenen Gerät ankreuzen, nicht auf einem fremden oder "
        "gemeinsam genutzten.",
        "ls": "Nur an Ihrem eigenen Gerät ankreuzen. Andere Menschen sollen den Chat nicht sehen.",
        "en": "Tick this only on your own device, not on a shared or borrowed one.",
        "ar": "اختر هذا فقط على جهازك الخاص، وليس على جهاز مشترك أو مستعار.",
    },
    "remember_nojs": {
        "de": "Ohne JavaScript merkt sich dieses Gerät den Chat nicht. Notieren Sie Ihren "
        "Fall-Code, um später weiterzuschreiben.",
        "ls": "Ohne JavaScript merkt sich das Gerät den Chat nicht. Schreiben Sie Ihren "
        "Fall-Code auf. Dann können Sie später weiter-schreiben.",
        "en": "Without JavaScript this device does not remember the chat. Note your case "
        "code to continue later.",
        "ar": "بدون JavaScript لا يتذكر هذا الجهاز المحادثة. احتفظ برمز حالتك لتتابع لاحقًا.",
    },
    "export_heading": {
        "de": "Gespräch herunterladen",
        "ls": "Das Gespräch speichern",
        "en": "Download the conversation",
        "ar": "تنزيل المحادثة",
    },
    "export_hint": {
        "de": "Als Textdatei auf dieses Gerät, in der gewählten Sprache. Der Fall-Code steht "
        "nicht darin. Denken Sie daran, wer dieses Gerät noch benutzt.",
        "ls": "Sie bekommen eine Datei mit dem Gespräch. Die Datei ist dann auf diesem Gerät. "
        "Der Fall-Code steht nicht in der Datei. Benutzen noch andere Menschen das Gerät? "
        "Dann können sie die Datei lesen.",
        "en": "As a text file on this device, in the chosen language. The case code is not in "
        "it. Keep in mind who else uses this device.",
        "ar": "كملف نصي على هذا الجهاز، باللغة المختارة. لا يتضمن رمز الحالة. انتبه إلى من "
        "يستخدم هذا الجهاز أيضًا.",
    },
    "export_button": {
        "de": "Als Textdatei herunterladen",
        "ls": "Datei herunterladen",
        "en": "Download as a text file",
        "ar": "تنزيل كملف نصي",
    },
    "export_title": {
        "de": "Ihr Gespräch mit {office}",
        "ls": "Ihr Gespräch mit {office}",
        "en": "Your conversation with {office}",
        "ar": "محادثتك مع {office}",
    },
    "export_code_hidden": {
        "de": "(Fall-Code: nicht in der Datei)",
        "ls": "(Fall-Code: nicht in der Datei)",
        "en": "(case code: not in the file)",
        "ar": "(رمز الحالة: غير موجود في الملف)",
    },
    "export_nothing": {
        "de": "Auf diesem Gerät gibt es noch kein Gespräch, das Sie herunterladen können.",
        "ls": "Auf diesem Gerät gibt es noch kein Gespräch.",
        "en": "There is no conversation on this device to download yet.",
        "ar": "لا توجد محادثة على هذا الجهاز لتنزيلها بعد.",
    },
    "delete_heading": {
        "de": "Gespräch löschen",
        "ls": "Gespräch löschen",
        "en": "Delete the conversation",
        "ar": "حذف المحادثة",
    },
    "delete_hint": {
        "de": "Löscht alles, was Sie hier geschrieben haben, auch bei der Beratungsstelle.",
        "ls": "Dann ist alles weg, was Sie hier geschrieben haben. Auch bei der Beratungs-Stelle.",
        "en": "Deletes everything you wrote here, also at the counselling office.",
        "ar": "يحذف كل ما كتبته هنا، بما في ذلك لدى مكتب الاستشارة.",
    },
    "delete_button": {
        "de": "Gespräch löschen …",
        "ls": "Gespräch löschen …",
        "en": "Delete conversation …",
        "ar": "حذف المحادثة …",
    },
    "delete_confirm_heading": {
        "de": "Gespräch wirklich löschen?",
        "ls": "Wollen Sie das Gespräch wirklich löschen?",
        "en": "Really delete the conversation?",
        "ar": "هل تريد حقًا حذف المحادثة؟",
    },
    "delete_confirm_text": {
        "de": "Das lässt sich nicht rückgängig machen. Ihr Fall-Code gilt danach nicht mehr.",
        "ls": "Danach ist das Gespräch für immer weg. Ihr Fall-Code geht dann nicht mehr.",
        "en": "This cannot be undone. Your case code will no longer work.",
        "ar": "لا يمكن التراجع عن ذلك. لن يعمل رمز حالتك بعد الحذف.",
    },
    "restart_confirm_heading": {
        "de": "Wirklich neu anfangen?",
        "ls": "Wollen Sie wirklich neu anfangen?",
        "en": "Really start again?",
        "ar": "هل تريد حقًا البدء من جديد؟",
    },
    "restart_confirm_text": {
        "de": "Ihre bisherigen Antworten werden dann verworfen.",
        "ls": "Dann sind Ihre Antworten bis jetzt weg.",
        "en": "Your answers so far will then be discarded.",
        "ar": "ستُحذف إجاباتك حتى الآن.",
    },
    "restart_confirm_button": {
        "de": "Ja, neu anfangen",
        "ls": "Ja, neu anfangen",
        "en": "Yes, start again",
        "ar": "نعم، ابدأ من جديد",
    },
    "delete_confirm_button": {
        "de": "Ja, endgültig löschen",
        "ls": "Ja, für immer löschen",
        "en": "Yes, delete for good",
        "ar": "نعم، احذف نهائيًا",
    },
    "cancel": {
        "de": "Abbrechen",
        "ls": "Nein, nicht löschen",
        "en": "Cancel",
        "ar": "إلغاء",
    },
    "deleted_notice": {
        "de": "Das Gespräch wurde gelöscht.",
        "ls": "Das Gespräch ist gelöscht.",
        "en": "The conversation has been deleted.",
        "ar": "تم حذف المحادثة.",
    },
    # ------------------------------------------------------------ connection status (JS)
    "counsellor_typing": {
        "de": "Die Beratungsstelle schreibt …",
        "ls": "Die Beratungs-Stelle schreibt gerade …",
        "en": "The counselling office is typing …",
        "ar": "مكتب الاستشارة يكتب …",
    },
    "status_connecting": {
        "de": "Verbindung wird aufgebaut …",
        "ls": "Der Chat verbindet sich …",
        "en": "Connecting …",
        "ar": "جارٍ الاتصال …",
    },
    "status_connected": {
        "de": "Verbunden.",
        "ls": "Der Chat ist verbunden.",
        "en": "Connected.",
        "ar": "متصل.",
    },
    "status_reconnecting": {
        "de": "Verbindung unterbrochen – neuer Versuch in {s} Sekunden. Was Sie schreiben, "
        "wird danach gesendet.",
        "ls": "Die Verbindung ist weg. In {s} Sekunden versucht der Chat es wieder. "
        "Was Sie schreiben, schickt der Chat später.",
        "en": "Connection lost – reconnecting in {s} seconds. What you write will be sent then.",
        "ar": "انقطع الاتصال – إعادة المحاولة خلال {s} ثانية. سيتم إرسال ما تكتبه بعد ذلك.",
    },
    # ------------------------------------------------------------ errors
    "error_heading": {
        "de": "Das hat nicht geklappt",
        "ls": "Das hat nicht geklappt",
        "en": "That did not work",
        "ar": "لم ينجح ذلك",
    },
    "error_title_prefix": {
        "de": "Fehler",
        "ls": "Fehler",
        "en": "Error",
        "ar": "خطأ",
    },
    "err_unknown_choice": {
        "de": "Diese Antwort gibt es hier nicht. Bitte wählen Sie eine der Antworten.",
        "ls": "Diese Antwort geht hier nicht. Bitte wählen Sie eine Antwort aus der Liste.",
        "en": "That answer is not one of the choices. Please pick one of the answers.",
        "ar": "هذه الإجابة ليست من الخيارات. يرجى اختيار إحدى الإجابات.",
    },
    "err_text_too_long": {
        "de": "Ihr Text ist zu lang. Erlaubt sind höchstens {max} Zeichen.",
        "ls": "Ihr Text ist zu lang. Sie dürfen höchstens {max} Zeichen schreiben.",
        "en": "Your text is too long. At most {max} characters are allowed.",
        "ar": "النص طويل جدًا. الحد الأقصى {max} حرفًا.",
    },
    "err_text_empty": {
        "de": "Bitte schreiben Sie etwas.",
        "ls": "Bitte schreiben Sie etwas.",
        "en": "Please write something.",
        "ar": "يرجى كتابة شيء.",
    },
    "err_session": {
        "de": "Ihr Gespräch konnte nicht gefunden werden. Beginnen Sie neu oder geben Sie "
        "Ihren Fall-Code ein.",
        "ls": "Wir finden Ihr Gespräch nicht. Fangen Sie neu an. Oder geben Sie Ihren "
        "Fall-Code ein.",
        "en": "Your conversation could not be found. Start again or enter your case code.",
        "ar": "تعذر العثور على محادثتك. ابدأ من جديد أو أدخل رمز حالتك.",
    },
    "err_bad_form": {
        "de": "Die Eingabe konnte nicht gelesen werden. Bitte versuchen Sie es noch einmal.",
        "ls": "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.",
        "en": "Your input could not be read. Please try again.",
        "ar": "تعذرت قراءة ما أدخلته. يرجى المحاولة مرة أخرى.",
    },
    "err_too_large": {
        "de": "Die Eingabe ist zu groß. Bitte kürzen Sie Ihren Text.",
        "ls": "Das ist zu viel Text. Bitte schreiben Sie weniger.",
        "en": "That was too much at once. Please shorten your text.",
        "ar": "النص كبير جدًا. يرجى تقصيره.",
    },
    "err_rate_limited": {
        "de": "Zu viele Nachrichten in kurzer Zeit. Bitte warten Sie einen Moment.",
        "ls": "Sie haben sehr schnell viele Nachrichten geschickt. Bitte warten Sie kurz.",
        "en": "Too many messages in a short time. Please wait a moment.",
        "ar": "رسائل كثيرة في وقت قصير. يرجى الانتظار قليلًا.",
    },
    "err_code_format": {
        "de": "Ein Fall-Code hat 12 Zeichen: Ziffern und Buchstaben, zum Beispiel K7QF-3MZP-9TXA.",
        "ls": "Ein Fall-Code hat 12 Zeichen. Zahlen und Buchstaben. Zum Beispiel: K7QF-3MZP-9TXA",
        "en": "A case code has 12 characters, digits and letters, for example K7QF-3MZP-9TXA.",
        "ar": "يتكون رمز الحالة من 12 حرفًا ورقمًا، مثلًا K7QF-3MZP-9TXA.",
    },
    "err_code_not_found": {
        "de": "Zu diesem Code gibt es kein Gespräch. Bitte prüfen Sie den Code.",
        "ls": "Zu diesem Fall-Code gibt es kein Gespräch. Bitte prüfen Sie den Fall-Code.",
        "en": "No conversation has this code. Please check the code.",
        "ar": "لا توجد محادثة بهذا الرمز. يرجى التحقق من الرمز.",
    },
    "err_code_rate_limited": {
        "de": "Zu viele Versuche. Bitte warten Sie zehn Minuten.",
        "ls": "Sie haben es zu oft versucht. Bitte warten Sie 10 Minuten.",
        "en": "Too many tries. Please wait ten minutes.",
        "ar": "محاولات كثيرة جدًا. يرجى الانتظار عشر دقائق.",
    },
    "err_resume_conflict": {
        "de": "Auf diesem Gerät ist schon ein anderes Gespräch mit einem Fall-Code. Löschen "
        "Sie es zuerst oder nutzen Sie ein anderes Gerät.",
        "ls": "Auf diesem Gerät ist schon ein anderes Gespräch. Löschen Sie es zuerst. "
        "Oder nehmen Sie ein anderes Gerät.",
        "en": "This device already holds another conversation with a case code. Delete it "
        "first or use another device.",
        "ar": "يحتوي هذا الجهاز بالفعل على محادثة أخرى برمز حالة. احذفها أولًا أو استخدم جهازًا آخر.",
    },
    "err_unavailable": {
        "de": "Ihre Nachricht konnte gerade nicht gespeichert werden. Bitte versuchen Sie es "
        "gleich noch einmal.",
        "ls": "Ihre Nachricht ist nicht angekommen. Bitte versuchen Sie es gleich noch einmal.",
        "en": "Your message could not be stored just now. Please try again in a moment.",
        "ar": "تعذر حفظ رسالتك الآن. يرجى المحاولة مرة أخرى بعد قليل.",
    },
    "err_no_question": {
        "de": "Gerade ist keine Frage offen. Hier ist der aktuelle Stand.",
        "ls": "Gerade gibt es keine Frage. Hier sehen Sie das Gespräch.",
        "en": "There is no open question right now. Here is where the conversation stands.",
        "ar": "لا يوجد سؤال مفتوح الآن. هذه هي حالة المحادثة الحالية.",
    },
    # ------------------------------------------------------------ footer and statement links
    "footer_privacy": {
        "de": "Keine Cookies. Kein Tracking.",
        "ls": "Wir speichern keine Cookies. Wir beobachten Sie nicht.",
        "en": "No cookies. No tracking.",
        "ar": "لا ملفات تعريف ارتباط. لا تتبع.",
    },
    "accessibility_link": {
        "de": "Erklärung zur Barrierefreiheit",
        "ls": "Erklärung zur Barriere-Freiheit",
        "en": "Accessibility statement",
        "ar": "بيان إمكانية الوصول",
    },
    "legal_nav": {
        "de": "Rechtliche Hinweise",
        "ls": "Wichtige Infos",
        "en": "Legal information",
        "ar": "معلومات قانونية",
    },
    "privacy_link": {
        "de": "Datenschutzerklärung",
        "ls": "Daten-Schutz",
        "en": "Privacy notice",
        "ar": "إشعار الخصوصية",
    },
    "imprint_link": {
        "de": "Impressum",
        "ls": "Impressum: Wer ist für den Chat verantwortlich?",
        "en": "Imprint (legal notice)",
        "ar": "بيانات الناشر",
    },
    "legal_missing": {
        "de": "{office} hat diese Angaben hier noch nicht hinterlegt. Bitte fragen Sie im "
        "Chat nach, eine Beraterin oder ein Berater hilft Ihnen weiter.",
        "ls": "Diese Infos fehlen hier noch. Das muss {office} noch machen. Bitte fragen Sie "
        "im Chat. Eine Beraterin oder ein Berater hilft Ihnen.",
        "en": "{office} has not published this information here yet. Please ask in the chat; "
        "a counsellor will help you.",
        "ar": "لم تنشر {office} هذه المعلومات هنا بعد. يرجى السؤال في المحادثة، وسيساعدك "
        "مستشار أو مستشارة.",
    },
    "legal_other_language": {
        "de": "Diesen Text gibt es nur in einer anderen Sprache.",
        "ls": "Diesen Text gibt es nicht in Leichter Sprache.",
        "en": "This text is only available in another language.",
        "ar": "هذا النص متوفر بلغة أخرى فقط.",
    },
    "st_contact_missing": {
        "de": "Die Kontaktadresse ist noch nicht eingerichtet: Die Beratungsstelle hat sie hier "
        "noch nicht eingetragen.",
        "ls": "Hier fehlt noch eine Adresse. Die Beratungs-Stelle hat sie noch nicht eingetragen.",
        "en": "The contact address is not configured yet: the office has not entered it here.",
        "ar": "عنوان الاتصال غير مُعدّ بعد: لم يُدخله المكتب هنا.",
    },
    "feedback_form_heading": {
        "de": "Barriere melden, ohne E-Mail-Programm",
        "ls": "Schreiben Sie uns hier",
        "en": "Report a barrier without an e-mail program",
        "ar": "الإبلاغ عن عائق دون برنامج بريد إلكتروني",
    },
    "feedback_label": {
        "de": "Ihre Rückmeldung",
        "ls": "Ihre Nachricht an uns",
        "en": "Your feedback",
        "ar": "ملاحظاتك",
    },
    "feedback_hint": {
        "de": "Die Nachricht geht per E-Mail an die Beratungsstelle und wird hier nicht "
        "gespeichert. Bitte schreiben Sie nichts über Ihren Fall. Wenn Sie eine Antwort "
        "möchten, schreiben Sie dazu, wie wir Sie erreichen.",
        "ls": "Wir bekommen Ihre Nachricht als E-Mail. Wir speichern sie hier nicht. Bitte "
        "schreiben Sie hier nichts über Ihre Diskriminierung. Sie wollen eine Antwort? Dann "
        "schreiben Sie: So erreichen Sie mich.",
        "en": "The message goes to the office by e-mail and is not stored here. Please do not "
        "write about your case. If you would like an answer, say how we can reach you.",
        "ar": "تصل الرسالة إلى المكتب بالبريد الإلكتروني ولا تُحفظ هنا. يرجى عدم الكتابة عن "
        "حالتك. إذا أردت ردًا فاذكر كيف يمكننا الوصول إليك.",
    },
    "feedback_send": {
        "de": "Rückmeldung senden",
        "ls": "Nachricht schicken",
        "en": "Send feedback",
        "ar": "إرسال الملاحظات",
    },
    "feedback_sent": {
        "de": "Danke. Ihre Rückmeldung ist an die Beratungsstelle gegangen.",
        "ls": "Danke. Die Beratungs-Stelle hat Ihre Nachricht bekommen.",
        "en": "Thank you. Your feedback has gone to the office.",
        "ar": "شكرًا. أُرسلت ملاحظاتك إلى المكتب.",
    },
    "feedback_failed": {
        "de": "Ihre Rückmeldung konnte gerade nicht gesendet werden. Bitte versuchen Sie es "
        "später noch einmal.",
        "ls": "Ihre Nachricht ist nicht angekommen. Bitte versuchen Sie es später noch einmal.",
        "en": "Your feedback could not be sent just now. Please try again later.",
        "ar": "تعذر إرسال ملاحظاتك الآن. يرجى المحاولة لاحقًا.",
    },
    "feedback_empty": {
        "de": "Bitte schreiben Sie zuerst Ihre Rückmeldung.",
        "ls": "Bitte schreiben Sie zuerst Ihre Nachricht.",
        "en": "Please write your feedback first.",
        "ar": "يرجى كتابة ملاحظاتك أولًا.",
    },
    "back_to_chat": {
        "de": "Zurück zum Chat",
        "ls": "Zurück zum Chat",
        "en": "Back to the chat",
        "ar": "العودة إلى المحادثة",
    },
    # ------------------------------------------------------------ accessibility statement
    "st_intro": {
        "de": "{office} ist bemüht, diesen Chat im Einklang mit dem Niedersächsischen "
        "Behindertengleichstellungsgesetz (NBGG) barrierefrei zu machen. Maßstab sind die "
        "WCAG 2.1 auf Stufe AA und die Norm EN 301 549. Diese Erklärung gilt für den Chat "
        "unter dieser Adresse.",
        "ls": "{office} will: Alle Menschen können den Chat gut benutzen. Das steht in einem "
        "Gesetz. Das Gesetz heißt: Niedersächsisches Behinderten-Gleich-Stellungs-Gesetz. "
        "Hier steht: Was ist schon gut? Was ist noch nicht gut?",
        "en": "{office} aims to make this chat accessible in line with the Lower Saxony "
        "Disability Equality Act (NBGG). The standard is WCAG 2.1 level AA and EN 301 549. "
        "This statement covers the chat at this address.",
        "ar": "تسعى {office} إلى جعل هذه المحادثة متاحة للجميع وفقًا لقانون المساواة لذوي "
        "الإعاقة في ولاية ساكسونيا السفلى (NBGG). المعيار هو WCAG 2.1 بالمستوى AA والمعيار "
        "EN 301 549. ينطبق هذا البيان على المحادثة على هذا العنوان.",
    },
    "st_status_heading": {
        "de": "Stand der Vereinbarkeit",
        "ls": "Ist der Chat barriere-frei?",
        "en": "Compliance status",
        "ar": "حالة التوافق",
    },
    "st_status": {
        "de": "Der Chat ist teilweise mit den Anforderungen vereinbar. Die unten genannten "
        "Punkte sind noch nicht barrierefrei oder noch nicht geprüft.",
        "ls": "Der Chat ist zum Teil barriere-frei. Einige Dinge sind noch nicht gut. "
        "Die Dinge stehen hier unten.",
        "en": "The chat is partially compliant. The points below are not yet accessible or "
        "not yet tested.",
        "ar": "المحادثة متوافقة جزئيًا مع المتطلبات. النقاط التالية ليست متاحة بعد أو لم تُختبر بعد.",
    },
    "st_limits_heading": {
        "de": "Was noch nicht barrierefrei ist",
        "ls": "Was noch nicht gut ist",
        "en": "Content that is not yet accessible",
        "ar": "ما ليس متاحًا بعد",
    },
    "st_limit_audit": {
        "de": "Der Chat wurde bisher nur von uns selbst geprüft, noch nicht von einer "
        "unabhängigen Prüfstelle.",
        "ls": "Wir haben den Chat selbst geprüft. Eine andere Stelle hat ihn noch nicht geprüft.",
        "en": "The chat has so far only been tested by ourselves, not yet by an independent "
        "auditor.",
        "ar": "اختبرنا المحادثة بأنفسنا فقط حتى الآن، ولم تختبرها جهة مستقلة بعد.",
    },
    "st_limit_live": {
        "de": "Neue Nachrichten werden Screenreadern über einen Live-Bereich angesagt. Je nach "
        "Screenreader und Browser kommt es vor, dass eine Nachricht nicht oder doppelt "
        "angesagt wird.",
        "ls": "Ein Vorlese-Programm liest neue Nachrichten vor. Manchmal liest es eine "
        "Nachricht nicht vor. Oder es liest sie 2 Mal vor.",
        "en": "New messages are announced to screen readers through a live region. Depending "
        "on the screen reader and browser, a message may not be announced, or be announced "
        "twice.",
        "ar": "تُعلن الرسائل الجديدة لقارئات الشاشة عبر منطقة حية. قد لا تُعلن رسالة أو "
        "تُعلن مرتين حسب قارئ الشاشة والمتصفح.",
    },
    "st_limit_languages": {
        "de": "Die Fragen des Chats gibt es bisher auf Deutsch, in Leichter Sprache und auf "
        "Englisch. Bei Arabisch ist nur die Bedienung übersetzt. Die Texte in Leichter "
        "Sprache wurden noch nicht von einer Prüfgruppe gelesen.",
        "ls": "Die Fragen gibt es auf Deutsch, in Leichter Sprache und auf Englisch. Auf "
        "Arabisch gibt es nur die Knöpfe. Die Leichte Sprache hat noch keine Prüf-Gruppe "
        "gelesen.",
        "en": "The chat's questions exist in German, Easy German and English so far. In "
        "Arabic only the controls are translated. The Easy German texts have not yet been "
        "checked by a test group.",
        "ar": "أسئلة المحادثة متوفرة حاليًا بالألمانية والألمانية المبسطة والإنجليزية فقط. "
        "بالعربية تُرجمت عناصر التحكم فقط. لم تراجع مجموعة اختبار نصوص اللغة المبسطة بعد.",
    },
    "st_limit_nojs": {
        "de": "Ohne JavaScript funktioniert der Chat mit Formularen. Dann gibt es keine "
        "Schriftgrößen-Knöpfe, keine Live-Ansagen und die Seite lädt nach jeder Antwort neu.",
        "ls": "Der Chat geht auch ohne JavaScript. Dann lädt die Seite nach jeder Antwort neu. "
        "Und es gibt keine Knöpfe für große Schrift.",
        "en": "Without JavaScript the chat works with forms. Then there are no text size "
        "buttons, no live announcements, and the page reloads after each answer.",
        "ar": "بدون JavaScript تعمل المحادثة بالنماذج. عندها لا توجد أزرار حجم الخط ولا "
        "إعلانات فورية، وتُعاد تحميل الصفحة بعد كل إجابة.",
    },
    "st_limit_exit": {
        "de": "„Seite schnell verlassen“ kann den Verlauf Ihres Browsers nicht löschen. "
        "Nutzen Sie dafür das private Fenster Ihres Browsers.",
        "ls": "Der Knopf „Schnell weg von dieser Seite“ löscht nicht den Verlauf im Browser. "
        "Benutzen Sie am besten ein privates Fenster.",
        "en": "“Quick exit” cannot delete your browser history. Use your browser's private "
        "window for that.",
        "ar": "لا يستطيع زر «مغادرة الصفحة بسرعة» حذف سجل المتصفح. استخدم نافذة التصفح الخاص لذلك.",
    },
    "st_method_heading": {
        "de": "Wie diese Erklärung entstanden ist",
        "ls": "Wie wir geprüft haben",
        "en": "How this statement was prepared",
        "ar": "كيف أُعدّ هذا البيان",
    },
    "st_method": {
        "de": "Selbstbewertung mit automatischen Tests (axe-core), Tastaturbedienung, "
        "Vergrößerung auf 200 %, einer Bildschirmbreite von 320 Pixeln und ohne JavaScript. "
        "Stand: {date}.",
        "ls": "Wir haben den Chat selbst geprüft. Mit Computer-Programmen. Nur mit der "
        "Tastatur. Mit großer Schrift. Auf kleinen Bildschirmen. Stand: {date}.",
        "en": "Self-assessment with automated tests (axe-core), keyboard use, 200 % zoom, a "
        "320 pixel wide screen and without JavaScript. Last reviewed: {date}.",
        "ar": "تقييم ذاتي باختبارات آلية (axe-core) والاستخدام بلوحة المفاتيح والتكبير 200٪ "
        "وشاشة بعرض 320 بكسل وبدون JavaScript. آخر مراجعة: {date}.",
    },
    "st_feedback_heading": {
        "de": "Barrieren melden: Kontakt",
        "ls": "Sie finden eine Barriere? Schreiben Sie uns.",
        "en": "Report a barrier: contact",
        "ar": "الإبلاغ عن عائق: التواصل",
    },
    "st_feedback": {
        "de": "Ist Ihnen eine Barriere aufgefallen, oder brauchen Sie Inhalte in einer anderen "
        "Form? Schreiben Sie uns:",
        "ls": "Etwas ist schwer für Sie? Sie brauchen etwas anders? Dann schreiben Sie uns:",
        "en": "Did you find a barrier, or do you need content in another form? Write to us:",
        "ar": "هل واجهت عائقًا أو تحتاج المحتوى بشكل آخر؟ اكتب لنا:",
    },
    "st_enforcement_heading": {
        "de": "Schlichtungsverfahren",
        "ls": "Wenn wir Ihnen nicht helfen",
        "en": "Enforcement procedure",
        "ar": "إجراء التسوية",
    },
    "st_enforcement": {
        "de": "Wenn wir auf Ihre Meldung nicht oder nicht zufriedenstellend antworten, können "
        "Sie sich an die Schlichtungsstelle bei der Landesbeauftragten für Menschen mit "
        "Behinderungen Niedersachsen wenden. Das Verfahren ist kostenlos.",
        "ls": "Wir antworten Ihnen nicht? Oder die Antwort hilft Ihnen nicht? Dann können Sie "
        "sich an die Schlichtungs-Stelle wenden. Sie ist bei der Landes-Beauftragten für "
        "Menschen mit Behinderungen in Niedersachsen. Das kostet nichts.",
        "en": "If we do not answer your report, or not satisfactorily, you can turn to the "
        "conciliation body (Schlichtungsstelle) of the Lower Saxony Commissioner for People "
        "with Disabilities. The procedure is free of charge.",
        "ar": "إذا لم نرد على بلاغك أو لم يكن ردنا مرضيًا، يمكنك التوجه إلى هيئة التسوية "
        "(Schlichtungsstelle) لدى مفوضة ولاية ساكسونيا السفلى لشؤون الأشخاص ذوي الإعاقة. "
        "الإجراء مجاني.",
    },
    "st_enforcement_link": {
        "de": "Landesbeauftragte für Menschen mit Behinderungen Niedersachsen – Schlichtungsstelle",
        "ls": "Landes-Beauftragte für Menschen mit Behinderungen Niedersachsen – "
        "Schlichtungs-Stelle",
        "en": "Lower Saxony Commissioner for People with Disabilities – Schlichtungsstelle",
        "ar": "مفوضة ولاية ساكسونيا السفلى لشؤون الأشخاص ذوي الإعاقة – هيئة التسوية",
    },
}


def texts_for(language: UiLanguage) -> dict[str, str]:
    """All texts of one language, as the templates and chat.js use them."""
    return {key: by_language[language] for key, by_language in T.items()}
