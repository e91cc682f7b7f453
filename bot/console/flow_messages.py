"""Flow errors and errors in translation (PO) files in German, as the console shows them.

The loader and validator give each error a code and the values of its message (see
`dialogs.messages`, which holds the English wording the command line shows). Here each code
has a German template with the same fields; the editor already says where the error is
(node, field, line), so a message says what is wrong and, where it helps, what to do.
An error without a known code keeps its English message: better English than nothing.
"""

from __future__ import annotations

from typing import Final

from bot.conversation.flows import UnknownTeam
from dialogs.errors import ROOT, FlowError
from dialogs.po import PoError

GERMAN: Final[dict[str, str]] = {
    # -- reading the YAML
    "cannot_read": "Die Datei lässt sich nicht lesen: {detail}",
    "not_utf8": (
        "Die Datei ist kein UTF-8-Text (ein ungültiges Zeichen in Zeile {line}). "
        "Speichern Sie sie als UTF-8."
    ),
    "invalid_character": (
        "Hier steht ein unzulässiges, oft unsichtbares Zeichen (#x{char}: {reason}). "
        "Löschen Sie es."
    ),
    "empty_file": "Der Ablauf ist leer.",
    "yaml_syntax": (
        "Der Text ist an dieser Stelle nicht lesbar. Oft fehlt ein Doppelpunkt oder ein "
        "Anführungszeichen, oder die Einrückung stimmt nicht. Genauer (englisch): {detail}"
    ),
    "yaml_value": "Dieser Wert ist nicht lesbar (englisch): {detail}",
    "too_large": (
        "Durch Verweise (Aliase mit & und *) wird der Ablauf zu groß: mehr als {max} Werte."
    ),
    "alias_loop": "Dieser Wert verweist über einen Alias (*) auf sich selbst.",
    "tag_not_allowed": "Die Markierung {tag} ist in einem Ablauf nicht erlaubt. Löschen Sie sie.",
    "duplicate_key": (
        "Der Eintrag „{name}“ steht hier doppelt (zuerst in Zeile {line}). "
        "Löschen Sie einen der beiden."
    ),
    "merge_key": (
        "Zusammenführen mit << ist in Abläufen nicht möglich. Schreiben Sie die Einträge aus."
    ),
    "key_not_text": "Vor dem Doppelpunkt muss ein einfacher Name stehen, keine Liste.",
    "not_mapping": "Der Ablauf muss aus Einträgen der Form „name: Wert“ bestehen.",
    "not_applied": "Die Übersetzung lässt sich nicht in den Ablauf eintragen: {detail}",
    # -- the structure
    "missing_key": "Hier fehlt der Eintrag „{names}“ (in {where}).",
    "missing_keys": "Hier fehlen die Einträge {names} (in {where}).",
    "unknown_key": (
        "Einen Eintrag „{name}“ gibt es hier nicht (in {where}). Ist er falsch geschrieben?"
    ),
    "no_kind": "Bei {where} fehlt die Art des Knotens („kind“).",
    "unknown_kind": "Diese Art von Knoten gibt es nicht. Möglich sind: {kinds}.",
    "schema": "Ungültiger Wert bei {field} (englisch): {detail}",
    # -- languages and translations
    "language_twice": "Die Sprache „{language}“ steht zweimal in der Liste.",
    "any_language_listed": (
        "„*“ ist keine Sprache. Tragen Sie echte Sprachkürzel ein, zum Beispiel de oder en."
    ),
    "default_language_unknown": (
        "Die Standardsprache „{language}“ fehlt in der Liste der Sprachen ({languages})."
    ),
    "language_undeclared": (
        "Die Sprache „{language}“ fehlt in der Liste der Sprachen („languages“). Tragen Sie "
        "sie dort ein oder löschen Sie diesen Eintrag."
    ),
    "unreviewed_default": (
        "„{language}“ ist die Standardsprache: Aus ihr wird übersetzt, sie kann nicht "
        "„ungeprüft“ sein."
    ),
    "source_is_default": (
        "„{language}“ ist die Standardsprache: Ihre Texte sind die Vorlage, keine Übersetzung."
    ),
    "missing_translation": "Hier fehlt die Übersetzung für: {languages}.",
    "any_language_mixed": (
        "„*“ (derselbe Text in allen Sprachen) kann nicht zusammen mit einzelnen Sprachen stehen."
    ),
    # -- the graph
    "duplicate_node_id": (
        "Einen Knoten „{node}“ gibt es schon (zuerst in Zeile {line}). Jeder Knoten braucht "
        "einen eigenen Namen."
    ),
    "unknown_node": (
        "Der Knoten „{target}“ ist unbekannt: Prüfen Sie, ob der Name richtig geschrieben ist, "
        "oder legen Sie den Knoten an."
    ),
    "unreachable": (
        "Der Knoten „{node}“ wird nie erreicht: Kein Weg vom Start „{start}“ führt zu ihm."
    ),
    "dead_end": (
        "Vom Knoten „{node}“ aus kommt das Gespräch nie zu einer Übergabe oder einem Ende "
        "(eine Sackgasse oder eine Schleife ohne Ausgang)."
    ),
    "passive_loop": (
        "Diese Knoten führen im Kreis, ohne etwas zu fragen; das Gespräch käme nie weiter: {loop}"
    ),
    # -- texts
    "empty_text": "Der Text für „{language}“ ist leer: Die Person sähe eine leere Nachricht.",
    "short_label_too_long": "Eine Kurzform hat höchstens {max} Zeichen, diese hat {length}.",
    "unknown_placeholder": "Den Platzhalter {{{name}}} gibt es nicht. Möglich sind: {known}.",
    "placeholder_not_allowed": (
        "Der Platzhalter {{{name}}} geht nur in Texten von Übergabe- und End-Knoten."
    ),
    "channel_placeholder_not_allowed": (
        "Der Platzhalter {{{name}}} geht nur im Text eines Knotens, nicht in einer Antwort "
        "oder einem Text des Dienstes („ui“)."
    ),
    "literal_braces": "Geschweifte Klammern {{ }} sind in Texten nur für Platzhalter erlaubt.",
    "ui_missing": "Es fehlen Texte des Dienstes („ui“): {names}.",
    "unknown_ui_text": "Einen Text „{name}“ gibt es unter „ui“ nicht. Möglich sind: {known}.",
    # -- crisis
    "talk_now_not_handover": (
        "„{target}“ ist kein Übergabe-Knoten. Hier muss einer stehen: Er bestimmt das Team "
        "des Falls, der sofort angelegt wird."
    ),
    "no_crisis_words": "Es fehlen Krisenwörter für: {languages}.",
    "crisis_word_no_letters": (
        "Das Krisenwort „{word}“ hat keine Buchstaben oder Ziffern und wird deshalb nie erkannt."
    ),
    # -- choices
    "duplicate_choice_id": (
        "Die Auswahl „{choice}“ gibt es in diesem Knoten schon. Jede Auswahl braucht einen "
        "eigenen Namen."
    ),
    "choice_no_next": (
        "Es fehlt, wie es nach der Auswahl „{choice}“ weitergeht: Weder die Auswahl noch der "
        "Knoten „{node}“ hat ein „next“."
    ),
    "choice_language_unknown": (
        "Die Auswahl „{choice}“ soll die Sprache wählen, ist aber keine Sprache des Ablaufs "
        "({languages}). Geben Sie ihr ein passendes „language“."
    ),
    "language_without_sets_language": (
        "„language“ wirkt nur bei einer Frage, mit der die Person die Sprache wählt "
        "(„sets_language“)."
    ),
    "exclusive_not_multi": "„exclusive“ wirkt nur bei einer Mehrfachauswahl (multi_choice).",
    "multi_choice_next": (
        "Bei einer Mehrfachauswahl hat eine Auswahl kein eigenes „next“. Nutzen Sie das „next“ "
        "des Knotens und danach eine Verzweigung (branch)."
    ),
    "max_below_min": "Höchstens ({max}) ist kleiner als mindestens ({min}).",
    "max_over_choices": "Höchstens {max} Antworten, aber es gibt nur {count} zur Auswahl.",
    "min_over_choices": "Mindestens {min} Antworten, aber es gibt nur {count} zur Auswahl.",
    # -- branch conditions
    "condition_field_unknown": (
        "„{field}“ ist keine gespeicherte Antwort einer Frage. Eine Bedingung prüft immer die "
        "Antwort einer Frage."
    ),
    "condition_field_later": (
        "Die Antwort „{field}“ ist hier noch nicht bekannt: Die Frage kommt auf keinem Weg vor "
        "dieser Verzweigung."
    ),
    "op_needs_list": "Die Prüfung „{op}“ braucht eine Liste von Werten.",
    "op_needs_text": "Die Prüfung „{op}“ braucht genau einen Wert.",
    "op_takes_no_value": "Die Prüfung „{op}“ braucht keinen Wert. Löschen Sie „value“.",
    "op_wrong_kind": (
        "Die Prüfung „{op}“ passt nicht zu „{field}“, der Antwort eines Knotens der Art {kind}. "
        "Sie passt zu: {kinds}."
    ),
    "not_an_answer": "„{value}“ ist keine mögliche Antwort auf „{field}“. Möglich sind: {answers}.",
    # -- handover
    "incident_date_not_when": "„{name}“ ist keine gespeicherte Antwort einer Datumsfrage (when).",
    "routes_without_by": (
        "Für „routes“ muss „team.by“ sagen, nach welcher Antwort das Team gewählt wird."
    ),
    "team_by_unknown": (
        "„{name}“ ist keine gespeicherte Antwort einer Einzelauswahl (single_choice)."
    ),
    "route_not_choice": "„{value}“ ist keine Auswahl von „{node}“. Möglich sind: {choices}.",
    "store_key_taken": (
        "Unter „{name}“ speichert schon der Knoten „{node}“ seine Antwort. Jede Frage braucht "
        "einen eigenen Namen."
    ),
    # -- a PO file of translations
    "po_unquoted": (
        "Die Datei ist keine lesbare PO-Datei: Jeder Text muss in doppelten Anführungszeichen "
        'stehen ("..."); ein Anführungszeichen im Text wird \\" geschrieben.'
    ),
    "po_syntax": "Die Datei ist keine lesbare PO-Datei. Genauer (englisch): {detail}",
    "po_unreadable": "Die Datei ist keine lesbare PO-Datei.",
    "po_other_language": (
        "Diese Datei ist für die Sprache „{found}“, nicht für „{language}“. Wählen Sie die "
        "passende Sprache oder die passende Datei."
    ),
    "po_source_language": (
        "„{language}“ ist die Ausgangssprache des Ablaufs „{flow}“, keine Übersetzung."
    ),
    "po_language_missing": (
        "Der Ablauf „{flow}“ hat die Sprache „{language}“ nicht (er hat {languages}). Um sie "
        "hinzuzufügen, importieren Sie mit der Möglichkeit, eine Sprache hinzuzufügen."
    ),
    "po_not_language_code": "„{language}“ ist kein Sprachkürzel (zum Beispiel tr, ar, uk).",
    "po_plural_in_flow": "Mehrzahlformen gibt es in Abläufen nicht.",
    "po_no_msgctxt": (
        "Bei diesem Eintrag fehlt „msgctxt“, die Kennung des Textes. Lassen Sie sie stehen, "
        "wie sie exportiert wurde."
    ),
    "po_id_twice": "Der Text „{id}“ steht doppelt in der Datei (zuerst in Zeile {first}).",
    "po_unknown_id_in_flow": (
        "Einen Text „{id}“ gibt es im Ablauf „{flow}“ nicht. Exportieren Sie die Datei neu."
    ),
    "po_unknown_id": "Einen Text „{id}“ gibt es nicht. Exportieren Sie die Datei neu.",
    "po_takes_plural": "„{id}“ braucht Mehrzahlformen (msgstr[0], …).",
    "po_takes_one": "„{id}“ braucht genau eine Übersetzung (msgstr).",
    "po_plural_count": "„{language}“ hat {count} Mehrzahlformen, der Eintrag {found}.",
    "po_stray_brace": (
        "Die Übersetzung enthält eine Klammer {{ oder }}, die zu keinem Platzhalter gehört."
    ),
    "po_placeholders_differ": (
        "Die Platzhalter stimmen nicht überein: Der Ausgangstext hat {source}, die "
        "Übersetzung {translation}. Übernehmen Sie jeden {{Platzhalter}} unverändert."
    ),
}

_ROOT_WORDS: Final = "der obersten Ebene"
"""`dotted` calls the document root "the flow"; it stands after "in" in the templates."""


def _value(name: str, value: str | int) -> str | int:
    if name in ("source", "translation") and value == "none":
        return "keine"  # of the placeholders of `po_placeholders_differ`
    if value == ROOT:
        return _ROOT_WORDS
    if name == "kinds" and isinstance(value, str):
        # The validator joins node kinds with " or " (see `op_wrong_kind`).
        return value.replace(" or ", " oder ")
    return value


def german(error: FlowError | PoError) -> str:
    """The error's message in German; its English message when its code has no template."""
    template = GERMAN.get(error.code or "")
    if template is None:
        return error.message
    return template.format(**{name: _value(name, value) for name, value in error.params})


def unknown_team(exc: UnknownTeam) -> str:
    """Why a flow that hands over to a missing team is not published, in German."""
    return (
        f"Nicht veröffentlicht: Der Knoten „{exc.node}“ übergibt an das Team „{exc.team}“, "
        "das es nicht gibt. Prüfen Sie den Namen des Teams oder legen Sie das Team an "
        "(anlaufstelle team add)."
    )
