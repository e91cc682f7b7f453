"""The English text of every flow error, by code.

Each `FlowError` carries a code and the values that fill its template, so a tool that speaks
another language (the German console, see `bot.console.flow_messages`) can say the same
thing in its own words; the English text here is what the command line and logs show.
Templates use `str.format` fields; a literal brace is written doubled.
"""

from __future__ import annotations

from typing import Final

Params = tuple[tuple[str, str | int], ...]
"""Name/value pairs of a message's fields: a tuple, so a frozen FlowError stays hashable."""

ENGLISH: Final[dict[str, str]] = {
    # -- reading the YAML (dialogs.loader)
    "cannot_read": "cannot read file: {detail}",
    "not_utf8": "the file is not UTF-8 text (invalid byte at line {line})",
    "invalid_character": "invalid character #x{char}: {reason}",
    "empty_file": "the file is empty",
    "yaml_syntax": "YAML syntax error: {detail}",
    "yaml_value": "{detail}",
    "too_large": "the document expands to more than {max} values (aliases?)",
    "alias_loop": "this value contains an alias to itself",
    "tag_not_allowed": "tag {tag} is not allowed in a flow",
    "duplicate_key": "duplicate key '{name}' (first at line {line})",
    "merge_key": "merge keys (<<) are not supported in flows",
    "key_not_text": "a key must be plain text, not a list or mapping",
    "not_mapping": "a flow must be a mapping of keys",
    # -- a translation written into the YAML (dialogs.po)
    "not_applied": "{detail}",
    # -- the structure (pydantic, mapped in dialogs.loader)
    "missing_key": "missing key in {where}: {names}",
    "missing_keys": "missing keys in {where}: {names}",
    "unknown_key": "unknown key '{name}' in {where}",
    "no_kind": "{where} has no 'kind'",
    "unknown_kind": "unknown node kind (expected one of {kinds})",
    "schema": "{field}: {detail}",
    # -- languages and translations (dialogs.validate)
    "language_twice": "language '{language}' is listed twice",
    "any_language_listed": "'*' is not a language; list real language codes",
    "default_language_unknown": (
        "default_language '{language}' is not one of languages: {languages}"
    ),
    "language_undeclared": "language '{language}' is not declared in languages",
    "unreviewed_default": (
        "'{language}' is the default language: the source every translation is made from"
    ),
    "source_is_default": (
        "'{language}' is the default language: its texts are the source, not a translation"
    ),
    "missing_translation": "missing translation: {languages}",
    "any_language_mixed": (
        "'*' (same text in every language) cannot be combined with other languages"
    ),
    # -- the graph
    "duplicate_node_id": "duplicate node id '{node}' (first at line {line})",
    "unknown_node": "unknown node '{target}'",
    "unreachable": "node '{node}' cannot be reached from start '{start}'",
    "dead_end": (
        "node '{node}' never leads to a handover or end node (a dead end or a loop without exit)"
    ),
    "passive_loop": "message/branch nodes loop without asking anything: {loop}",
    # -- texts
    "empty_text": "the '{language}' text is empty",
    "short_label_too_long": "a short label has at most {max} characters, this one {length}",
    "unknown_placeholder": "unknown placeholder {{{name}}} (known: {known})",
    "placeholder_not_allowed": "placeholder {{{name}}} may only be used in handover and end texts",
    "channel_placeholder_not_allowed": (
        "placeholder {{{name}}} may only be used in the text of a node, not in a choice or ui text"
    ),
    "literal_braces": "literal braces {{ }} are not allowed in texts",
    "ui_missing": "ui lacks texts: {names}",
    "unknown_ui_text": "unknown ui text '{name}' (known: {known})",
    # -- crisis
    "talk_now_not_handover": (
        "'{target}' is not a handover node (its team routing picks the team of a case created "
        "at once)"
    ),
    "no_crisis_words": "no crisis words for: {languages}",
    "crisis_word_no_letters": "crisis word '{word}' has no letters or digits and can never match",
    # -- choices
    "duplicate_choice_id": "duplicate choice id '{choice}'",
    "choice_no_next": "choice '{choice}' has no next and node '{node}' has no next",
    "choice_language_unknown": (
        "choice '{choice}' sets the language but is not one of languages "
        "(give it a `language` that is): {languages}"
    ),
    "language_without_sets_language": (
        "language only applies to a choice of a sets_language question"
    ),
    "exclusive_not_multi": "exclusive only applies to multi_choice",
    "multi_choice_next": (
        "choices of a multi_choice cannot have next; use the node's next and a branch node"
    ),
    "max_below_min": "max ({max}) is smaller than min ({min})",
    "max_over_choices": "max ({max}) exceeds the number of choices ({count})",
    "min_over_choices": "min ({min}) exceeds the number of choices ({count})",
    # -- branch conditions
    "condition_field_unknown": (
        "condition field '{field}' is not the store key of an input node that leads to this branch"
    ),
    "condition_field_later": (
        "condition field '{field}' is not the store key of an earlier input that leads to this "
        "branch"
    ),
    "op_needs_list": "op '{op}' needs a list value",
    "op_needs_text": "op '{op}' needs a single text value",
    "op_takes_no_value": "op '{op}' takes no value",
    "op_wrong_kind": (
        "op '{op}' does not apply to '{field}', the answer of a {kind} node (use it with {kinds})"
    ),
    "not_an_answer": "'{value}' is not an answer of '{field}' (one of: {answers})",
    # -- handover
    "incident_date_not_when": "incident_date_from '{name}' is not the store key of a when node",
    "routes_without_by": "routes need team.by to pick a route",
    "team_by_unknown": "team.by '{name}' is not the store key of a single_choice node",
    "route_not_choice": "route '{value}' is not a choice of '{node}' (one of: {choices})",
    "store_key_taken": "store key '{name}' is already used by node '{node}'",
    # -- a PO file of translations (dialogs.po for a flow, bot.i18n.po_files for the service)
    "po_unquoted": (
        'not a readable PO file: a text must stand in double quotes ("..."); '
        'a quote inside a text is written \\"'
    ),
    "po_syntax": "not a readable PO file: {detail}",
    "po_unreadable": "not a readable PO file",
    "po_other_language": "this file is for language '{found}', not '{language}'",
    "po_source_language": "'{language}' is the source language of flow '{flow}', not a translation",
    "po_language_missing": (
        "flow '{flow}' has no language '{language}' (it has {languages}); to add it, import "
        "with the option to add a language"
    ),
    "po_not_language_code": "'{language}' is not a language code (e.g. tr, ar, uk)",
    "po_plural_in_flow": "plural forms are not used in flows",
    "po_no_msgctxt": "entry without msgctxt (the text id)",
    "po_id_twice": "text id '{id}' appears twice (first at line {first})",
    "po_unknown_id_in_flow": "unknown text id '{id}' in flow '{flow}'",
    "po_unknown_id": "unknown text id '{id}'",
    "po_takes_plural": "'{id}' takes plural forms (msgstr[0], …)",
    "po_takes_one": "'{id}' takes one msgstr",
    "po_plural_count": "'{language}' has {count} plural forms, the entry {found}",
    "po_stray_brace": "the translation has a {{ or }} that is not part of a {{placeholder}}",
    "po_placeholders_differ": (
        "placeholders differ: the source has {source}, the translation {translation}"
    ),
}


def english(code: str, params: Params) -> str:
    """The English message of `code` filled with `params`."""
    return ENGLISH[code].format(**dict(params))
