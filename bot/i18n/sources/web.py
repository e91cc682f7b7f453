# ruff: noqa: RUF001  # texts for people use real typography
"""The web chat page's own texts: title, labels, buttons, statuses, errors, quick exit,
delete confirmation, the accessibility statement (the dialog itself comes from the flow).

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, plural, text

TEXTS: Final[tuple[Text, ...]] = (
    text("web.page_title", "Chat"),
    text("web.heading", "Chat: Hilfe bei Diskriminierung"),
    # The launcher on partner sites (static/embed.js) opens with web.heading, closes with:
    text("web.embed_close", "Chat schließen"),
    text("web.intro", "Anonym und kostenlos. Sie müssen keinen Namen nennen."),
    text("web.more", "Mehr dazu"),
    text("web.ls_marker", "Leichte Sprache"),
    text("web.skip_to_answer", "Zur Antwort springen"),
    text("web.skip_to_content", "Zum Inhalt springen"),
    text("web.quick_exit", "Seite schnell verlassen"),
    text("web.quick_exit_hint", "Sie können auch die Esc-Taste drücken."),
    text("web.language_nav", "Sprache"),
    text("web.settings", "Sprache und Schriftgröße"),
    text("web.text_size", "Schriftgröße"),
    text("web.text_size_1", "Normale Schrift"),
    text("web.text_size_2", "Große Schrift"),
    text("web.text_size_3", "Sehr große Schrift"),
    text("web.log_heading", "Gesprächsverlauf"),
    text("web.sender_person", "Sie"),
    text("web.sender_bot", "Automatische Antwort"),
    text("web.sender_counsellor", "Beratungsstelle (ein Mensch)"),
    text("web.crisis_label", "Wichtig – Hilfe in einer Notlage"),
    text("web.case_code_label", "Ihr Fall-Code"),
    text(
        "web.case_code_hint",
        "Schreiben Sie sich den Code auf. Sie müssen nicht hier warten: Kommen Sie später "
        "auf diese Seite zurück und geben Sie den Code ein, dann lesen Sie die Antwort der "
        "Beratung und können weiterschreiben, auch auf einem anderen Gerät.",
    ),
    text("web.copy_code", "Code kopieren"),
    text("web.copied", "Der Code ist kopiert."),
    text("web.copy_failed", "Kopieren ging nicht. Bitte schreiben Sie den Code ab."),
    text("web.sending", "wird gesendet …"),
    text("web.not_sent", "nicht gesendet"),
    text("web.skipped", "(übersprungen)"),
    text("web.empty_log", "Noch keine Nachrichten."),
    text("web.composer_heading", "Ihre Antwort"),
    text("web.answer_label", "Ihre Antwort"),
    text("web.date_label", "Datum (wenn Sie es kennen)"),
    text("web.date_send", "Datum senden"),
    text("web.or_choose", "Oder wählen Sie eine Antwort"),
    text("web.message_label", "Ihre Nachricht an die Beratungsstelle"),
    text("web.send", "Senden"),
    text("web.unticked", "Nur allein wählbar, daher abgewählt:"),
    text("web.several_hint", "Sie können mehrere Antworten wählen."),
    plural(
        "web.choose_at_least",
        "Bitte wählen Sie mindestens eine Antwort.",
        "Bitte wählen Sie mindestens {n} Antworten.",
    ),
    plural(
        "web.choose_at_most",
        "Bitte wählen Sie nur eine Antwort.",
        "Bitte wählen Sie höchstens {n} Antworten.",
    ),
    plural(
        "web.chars_count",
        "{n} von {max} Zeichen",
        "{n} von {max} Zeichen",
    ),
    text("web.chars_full", "Die Höchstzahl an Zeichen ist erreicht."),
    text(
        "web.start_text",
        "Der Chat stellt Ihnen ein paar Fragen. Danach meldet sich die Beratungsstelle.",
    ),
    text("web.start_button", "Chat beginnen"),
    text("web.new_chat", "Neues Gespräch beginnen"),
    text("web.ended", "Dieses Gespräch ist beendet."),
    text(
        "web.moved_away",
        "Ihr Gespräch geht jetzt auf dem anderen Gerät weiter. Um es hier fortzusetzen, "
        "geben Sie Ihren Fall-Code ein.",
    ),
    text(
        "web.handed_over",
        "Ihr Anliegen ist bei der Beratungsstelle. Ab jetzt antwortet Ihnen ein Mensch. "
        "Nur im Notfall kommt noch eine automatische Nachricht mit Notrufnummern. "
        "Sie können hier weiterschreiben.",
    ),
    text("web.welcome_back", "Willkommen zurück."),
    text("web.status_queued", "Ihr Fall wartet auf eine Beraterin oder einen Berater."),
    text("web.status_counsellor", "Eine Beraterin oder ein Berater schreibt mit Ihnen."),
    text(
        "web.case_closed",
        "Die Beratungsstelle hat Ihren Fall abgeschlossen. Wenn Sie hier schreiben, wird er "
        "wieder geöffnet.",
    ),
    text(
        "web.unreadable",
        "Dieses Gespräch ist bei der Beratungsstelle. Geben Sie Ihren Fall-Code ein, um es "
        "auf diesem Gerät zu lesen.",
    ),
    text("web.more_heading", "Weitere Möglichkeiten"),
    text("web.resume_heading", "Ich habe einen Fall-Code"),
    text("web.resume_label", "Fall-Code"),
    text("web.resume_hint", "12 Zeichen, zum Beispiel K7QF-3MZP-9TXA"),
    text("web.resume_button", "Gespräch fortsetzen"),
    text("web.remember_label", "Diesen Chat auf diesem Gerät merken"),
    text(
        "web.remember_hint",
        "Nur auf Ihrem eigenen Gerät ankreuzen, nicht auf einem fremden oder gemeinsam genutzten.",
    ),
    text(
        "web.remember_nojs",
        "Ohne JavaScript merkt sich dieses Gerät den Chat nicht. Notieren Sie Ihren "
        "Fall-Code, um später weiterzuschreiben.",
    ),
    text("web.export_heading", "Gespräch herunterladen"),
    text(
        "web.export_hint",
        "Als Textdatei auf dieses Gerät, in der gewählten Sprache. Der Fall-Code steht nicht "
        "darin. Denken Sie daran, wer dieses Gerät noch benutzt.",
    ),
    text("web.export_button", "Als Textdatei herunterladen"),
    text("web.export_title", "Ihr Gespräch mit {office}"),
    text("web.export_code_hidden", "(Fall-Code: nicht in der Datei)"),
    text(
        "web.export_nothing",
        "Auf diesem Gerät gibt es noch kein Gespräch, das Sie herunterladen können.",
    ),
    text("web.delete_heading", "Gespräch löschen"),
    text(
        "web.delete_hint",
        "Löscht alles, was Sie hier geschrieben haben, auch bei der Beratungsstelle.",
    ),
    text("web.delete_button", "Gespräch löschen …"),
    text("web.delete_confirm_heading", "Gespräch wirklich löschen?"),
    text(
        "web.delete_confirm_text",
        "Das lässt sich nicht rückgängig machen. Ihr Fall-Code gilt danach nicht mehr.",
    ),
    text("web.restart_confirm_heading", "Wirklich neu anfangen?"),
    text("web.restart_confirm_text", "Ihre bisherigen Antworten werden dann verworfen."),
    text("web.restart_confirm_button", "Ja, neu anfangen"),
    text("web.delete_confirm_button", "Ja, endgültig löschen"),
    text("web.cancel", "Abbrechen"),
    text("web.deleted_notice", "Das Gespräch wurde gelöscht."),
    text("web.counsellor_typing", "Die Beratungsstelle schreibt …"),
    text("web.status_connecting", "Verbindung wird aufgebaut …"),
    text("web.status_connected", "Verbunden."),
    text(
        "web.status_reconnecting",
        "Verbindung unterbrochen – neuer Versuch in {s} Sekunden. Was Sie schreiben, wird "
        "danach gesendet.",
    ),
    text("web.error_heading", "Das hat nicht geklappt"),
    text("web.error_title_prefix", "Fehler"),
    text(
        "web.err_unknown_choice",
        "Diese Antwort gibt es hier nicht. Bitte wählen Sie eine der Antworten.",
    ),
    text("web.err_text_too_long", "Ihr Text ist zu lang. Erlaubt sind höchstens {max} Zeichen."),
    text("web.err_text_empty", "Bitte schreiben Sie etwas."),
    text(
        "web.err_session",
        "Ihr Gespräch konnte nicht gefunden werden. Beginnen Sie neu oder geben Sie Ihren "
        "Fall-Code ein.",
    ),
    text(
        "web.err_bad_form",
        "Die Eingabe konnte nicht gelesen werden. Bitte versuchen Sie es noch einmal.",
    ),
    text("web.err_too_large", "Die Eingabe ist zu groß. Bitte kürzen Sie Ihren Text."),
    text(
        "web.err_rate_limited",
        "Zu viele Nachrichten in kurzer Zeit. Bitte warten Sie einen Moment.",
    ),
    text(
        "web.err_code_format",
        "Ein Fall-Code hat 12 Zeichen: Ziffern und Buchstaben, zum Beispiel K7QF-3MZP-9TXA.",
    ),
    text(
        "web.err_code_not_found", "Zu diesem Code gibt es kein Gespräch. Bitte prüfen Sie den Code."
    ),
    text("web.err_code_rate_limited", "Zu viele Versuche. Bitte warten Sie zehn Minuten."),
    text(
        "web.err_resume_conflict",
        "Auf diesem Gerät ist schon ein anderes Gespräch mit einem Fall-Code. Löschen Sie es "
        "zuerst oder nutzen Sie ein anderes Gerät.",
    ),
    text(
        "web.err_unavailable",
        "Ihre Nachricht konnte gerade nicht gespeichert werden. Bitte versuchen Sie es "
        "gleich noch einmal.",
    ),
    text("web.attach_heading", "Datei senden"),
    text("web.attach_label", "Foto, Bildschirmfoto oder PDF anhängen"),
    text(
        "web.attach_hint",
        "Wir entfernen Ort und Kameradaten aus der Datei, bevor wir sie speichern.",
    ),
    text("web.attach_limits", "JPEG, PNG, WebP, HEIC oder PDF, bis {mb} MB."),
    text("web.attach_button", "Datei senden"),
    text("web.attach_sending", "Datei wird gesendet: {percent} %"),
    text("web.attach_sent", "Datei gesendet."),
    text("web.attachment_image", "Bild"),
    text("web.attachment_pdf", "PDF-Dokument"),
    text("web.attachment_audio", "Sprachnachricht"),
    text("web.attachment_line", "Datei: {kind}, {size}"),
    text("web.err_file_empty", "Bitte wählen Sie zuerst eine Datei aus."),
    text("web.err_file_too_large", "Die Datei ist zu groß. Erlaubt sind bis zu {mb} MB."),
    text(
        "web.err_file_type",
        "Diese Datei können wir nicht annehmen. Bitte senden Sie ein Foto (JPEG, PNG, WebP, "
        "HEIC) oder ein PDF.",
    ),
    text(
        "web.err_file_broken",
        "Die Datei ist beschädigt oder unvollständig. Bitte versuchen Sie es mit einer "
        "anderen Datei.",
    ),
    text(
        "web.err_file_pixels",
        "Das Bild ist zu groß. Bitte senden Sie ein kleineres Bild oder ein Bildschirmfoto.",
    ),
    text(
        "web.err_file_mixed",
        "Die Datei enthält noch etwas anderes als ein Bild oder Dokument. Bitte senden Sie "
        "ein Bildschirmfoto davon.",
    ),
    text(
        "web.err_file_case_full",
        "Sie können hier keine weiteren Dateien senden: höchstens {count} Dateien und {mb} MB "
        "zusammen.",
    ),
    text("web.err_file_no_chat", "Bitte beginnen Sie zuerst den Chat."),
    text(
        "web.err_file_no_consent",
        "Dateien können Sie senden, wenn Sie der Speicherung zugestimmt haben.",
    ),
    text("web.err_no_question", "Gerade ist keine Frage offen. Hier ist der aktuelle Stand."),
    text(
        "web.err_not_sent_gone",
        "Ihre Nachricht ist nicht gesendet: Auf diesem Gerät ist kein Gespräch mehr offen. "
        "Wurde es mit Ihrem Fall-Code auf einem anderen Gerät geöffnet, geben Sie den Code "
        "unter „Weitere Möglichkeiten“ ein. Ihr Text steht unten, zum Kopieren.",
    ),
    text("web.unsent_label", "Ihr Text, nicht gesendet"),
    text("web.footer_privacy", "Keine Cookies. Kein Tracking."),
    text("web.accessibility_link", "Erklärung zur Barrierefreiheit"),
    text("web.legal_nav", "Rechtliche Hinweise"),
    text("web.privacy_link", "Datenschutzerklärung"),
    text("web.imprint_link", "Impressum"),
    text(
        "web.legal_missing",
        "{office} hat diese Angaben hier noch nicht hinterlegt. Bitte fragen Sie im Chat "
        "nach, eine Beraterin oder ein Berater hilft Ihnen weiter.",
    ),
    text("web.legal_other_language", "Diesen Text gibt es nur in einer anderen Sprache."),
    text(
        "web.st_contact_missing",
        "Die Kontaktadresse ist noch nicht eingerichtet: Die Beratungsstelle hat sie hier "
        "noch nicht eingetragen.",
    ),
    text("web.feedback_form_heading", "Barriere melden, ohne E-Mail-Programm"),
    text("web.feedback_label", "Ihre Rückmeldung"),
    text(
        "web.feedback_hint",
        "Die Nachricht geht per E-Mail an die Beratungsstelle und wird hier nicht "
        "gespeichert. Bitte schreiben Sie nichts über Ihren Fall. Wenn Sie eine Antwort "
        "möchten, schreiben Sie dazu, wie wir Sie erreichen.",
    ),
    text("web.feedback_send", "Rückmeldung senden"),
    text("web.feedback_sent", "Danke. Ihre Rückmeldung ist an die Beratungsstelle gegangen."),
    text(
        "web.feedback_failed",
        "Ihre Rückmeldung konnte gerade nicht gesendet werden. Bitte versuchen Sie es später "
        "noch einmal.",
    ),
    text("web.feedback_empty", "Bitte schreiben Sie zuerst Ihre Rückmeldung."),
    text("web.back_to_chat", "Zurück zum Chat"),
    text(
        "web.st_intro",
        "{office} ist bemüht, diesen Chat im Einklang mit dem Niedersächsischen "
        "Behindertengleichstellungsgesetz (NBGG) barrierefrei zu machen. Maßstab sind die "
        "WCAG 2.1 auf Stufe AA und die Norm EN 301 549. Diese Erklärung gilt für den Chat "
        "unter dieser Adresse.",
    ),
    text("web.st_status_heading", "Stand der Vereinbarkeit"),
    text(
        "web.st_status",
        "Der Chat ist teilweise mit den Anforderungen vereinbar. Die unten genannten Punkte "
        "sind noch nicht barrierefrei oder noch nicht geprüft.",
    ),
    text("web.st_limits_heading", "Was noch nicht barrierefrei ist"),
    text(
        "web.st_limit_audit",
        "Der Chat wurde bisher nur von uns selbst geprüft, noch nicht von einer unabhängigen "
        "Prüfstelle.",
    ),
    text(
        "web.st_limit_live",
        "Neue Nachrichten werden Screenreadern über einen Live-Bereich angesagt. Je nach "
        "Screenreader und Browser kommt es vor, dass eine Nachricht nicht oder doppelt "
        "angesagt wird.",
    ),
    text(
        "web.st_limit_languages",
        "Der Chat spricht Deutsch, Leichte Sprache, Englisch, Arabisch, Türkisch, Ukrainisch, "
        "Russisch, Polnisch und Persisch. Die Übersetzungen außer Englisch haben Menschen, die "
        "die Sprache sprechen, noch nicht geprüft, die Texte in Leichter Sprache noch keine "
        "Prüfgruppe.",
    ),
    text(
        "web.st_limit_nojs",
        "Ohne JavaScript funktioniert der Chat mit Formularen. Dann gibt es keine "
        "Schriftgrößen-Knöpfe, keine Live-Ansagen und die Seite lädt nach jeder Antwort neu.",
    ),
    text(
        "web.st_limit_exit",
        "„Seite schnell verlassen“ kann den Verlauf Ihres Browsers nicht löschen. Nutzen Sie "
        "dafür das private Fenster Ihres Browsers.",
    ),
    text("web.st_method_heading", "Wie diese Erklärung entstanden ist"),
    text(
        "web.st_method",
        "Selbstbewertung mit automatischen Tests (axe-core), Tastaturbedienung, Vergrößerung "
        "auf 200 %, einer Bildschirmbreite von 320 Pixeln und ohne JavaScript. Stand: {date}.",
    ),
    text("web.st_feedback_heading", "Barrieren melden: Kontakt"),
    text(
        "web.st_feedback",
        "Ist Ihnen eine Barriere aufgefallen, oder brauchen Sie Inhalte in einer anderen "
        "Form? Schreiben Sie uns:",
    ),
    text("web.st_enforcement_heading", "Schlichtungsverfahren"),
    text(
        "web.st_enforcement",
        "Wenn wir auf Ihre Meldung nicht oder nicht zufriedenstellend antworten, können Sie "
        "sich an die Schlichtungsstelle bei der Landesbeauftragten für Menschen mit "
        "Behinderungen Niedersachsen wenden. Das Verfahren ist kostenlos.",
    ),
    text(
        "web.st_enforcement_link",
        "Landesbeauftragte für Menschen mit Behinderungen Niedersachsen – Schlichtungsstelle",
    ),
    text(
        "web.err_files_busy",
        "Gerade kommen sehr viele Dateien an. Bitte senden Sie Ihre Datei in einer Minute "
        "noch einmal.",
    ),
    plural("web.attach_sent_count", "{n} Datei gesendet.", "{n} Dateien gesendet."),
    plural(
        "web.err_too_many_files",
        "Bitte senden Sie nur eine Datei auf einmal.",
        "Bitte senden Sie höchstens {n} Dateien auf einmal.",
    ),
)
