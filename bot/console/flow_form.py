"""The structured editor's view of a flow: the editable fields of one node, and the way back
from a posted form to YAML.

It edits the draft by round-tripping its YAML with ruamel.yaml (read → change the fields →
write): comments, blank lines, key order, quoting and block styles stay as written, so a
changed text is a one-line change in the file's history. Field paths are written the way
errors name them (`choices[1].label`, see `dialogs.errors.dotted`), so an error found by
`dialogs.locate` lands beside its field.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, get_args

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from dialogs.errors import Path, dotted
from dialogs.loader import source_map
from dialogs.model import ANY_LANGUAGE, SHORT_LABEL_MAX, WHEN_BUCKETS, Condition
from dialogs.translations import source_hash

TEXT_KEYS = ("text", "more", "yes", "no", "accept", "decline")
NEXT_KEYS = ("next", "on_yes", "on_no", "on_decline", "otherwise")
NEXT_LABELS = {
    "next": "Weiter zu",
    "on_yes": "Weiter nach „Ja“",
    "on_no": "Weiter nach „Nein“",
    "on_decline": "Weiter nach „Ablehnen“",
    "otherwise": "Sonst weiter zu",
}
"""The German label of each key in NEXT_KEYS: the console speaks German, the YAML English."""
WHEN_NAMES = {
    "today": "Heute",
    "this_week": "Diese Woche",
    "this_month": "Diesen Monat",
    "longer_ago": "Länger her",
    "not_sure": "Weiß nicht",
}
"""The answers of a `when` node in German, for their labels (the YAML key stays beside)."""
KIND_NAMES = {
    "message": "Nachricht",
    "single_choice": "Auswahl, eine Antwort",
    "multi_choice": "Auswahl, mehrere Antworten",
    "free_text": "Freitext",
    "when": "Frage nach dem Zeitpunkt",
    "yes_no": "Ja-Nein-Frage",
    "consent": "Einwilligung",
    "crisis_check": "Krisenfrage",
    "branch": "Verzweigung",
    "handover": "Übergabe an ein Team",
    "end": "Ende",
}
"""A node's kind in German words, for headings and lists (the YAML name stays beside it)."""
OPERATORS: tuple[str, ...] = get_args(Condition.model_fields["op"].annotation)
"""The whitelist of condition operators, straight from the flow model."""
_ITEM = re.compile(r"([a-z_]+)|\[(\d+)\]")


@dataclass(frozen=True)
class TextField:
    path: str
    """Dotted path from the node, e.g. `choices[1].label`."""
    label: str
    values: dict[str, str]
    """Language -> text; only "*" when the text reads the same in every language."""


@dataclass(frozen=True)
class NextField:
    path: str
    label: str
    value: str
    optional: bool
    """A choice's own `next` may be empty: it then follows the node's."""


@dataclass(frozen=True)
class ConditionField:
    path: str
    """`cases[0].when[1]`"""
    label: str
    field: str
    op: str
    value: str
    """One id, or several separated by commas."""


@dataclass(frozen=True)
class NodeForm:
    index: int
    node_id: str
    kind: str
    texts: list[TextField]
    nexts: list[NextField]
    conditions: list[ConditionField]


class NotEditable(Exception):
    """The YAML cannot be read as a flow structure; only the YAML view can fix it."""


def _yaml() -> YAML:
    # The layout of the shipped flows: mappings by 2, list items "  - " under their key; no
    # line is re-wrapped.
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def load(source: str) -> dict[str, Any]:
    """The draft as editable data that remembers its comments and layout. The flow reader
    checks it first (its YAML 1.2 rules and duplicate keys), so both read the same."""
    checked, _ = source_map(source, "draft")
    if not isinstance(checked, dict) or not isinstance(checked.get("nodes"), list):
        raise NotEditable("the draft is not a readable flow")
    try:
        data = _yaml().load(source)
    except YAMLError as e:
        raise NotEditable("the draft is not a readable flow") from e
    if not isinstance(data, dict):
        raise NotEditable("the draft is not a readable flow")
    return data


def dump(data: dict[str, Any]) -> str:
    """The YAML again, as written except for what was changed; texts that would read as
    something else (yes/no, numbers, dates) are quoted by the dumper."""
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def styled(old: Any, new: str) -> str:
    """`new` in the style `old` was written in: a block stays a block, a quoted text stays
    quoted; several lines become a literal block (readable, one line per line)."""
    shown: str = new
    if "\n" in new or isinstance(old, LiteralScalarString):
        shown = LiteralScalarString(new)
    elif isinstance(old, FoldedScalarString):
        shown = FoldedScalarString(new)
    elif isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString):
        shown = type(old)(new)
    return shown


def _languages(data: dict[str, Any]) -> list[str]:
    langs = data.get("languages")
    return [x for x in langs if isinstance(x, str)] if isinstance(langs, list) else []


def _text(value: Any, languages: list[str]) -> dict[str, str]:
    if isinstance(value, dict) and ANY_LANGUAGE in value and len(value) == 1:
        return {ANY_LANGUAGE: str(value[ANY_LANGUAGE] or "")}
    got = value if isinstance(value, dict) else {}
    return {lang: str(got.get(lang) or "") for lang in languages}


def node_form(data: dict[str, Any], index: int) -> NodeForm:
    node = data["nodes"][index]
    if not isinstance(node, dict):
        raise NotEditable("this node is not a mapping")
    langs = _languages(data)
    texts: list[TextField] = []
    nexts: list[NextField] = []
    conditions: list[ConditionField] = []
    names = {
        "text": "Text",
        "more": "Mehr dazu (Detail)",
        "yes": "Antwort „Ja“",
        "no": "Antwort „Nein“",
        "accept": "Zustimmen",
        "decline": "Ablehnen",
    }
    for key in TEXT_KEYS:
        if key in node:
            texts.append(TextField(key, names[key], _text(node[key], langs)))
    options = node.get("options")
    if isinstance(options, dict):
        for bucket in WHEN_BUCKETS:
            if bucket in options:
                texts.append(
                    TextField(
                        f"options.{bucket}",
                        f"Antwort „{WHEN_NAMES.get(bucket, bucket)}“ ({bucket})",
                        _text(options[bucket], langs),
                    )
                )
    choices = node.get("choices")
    if isinstance(choices, list):
        for j, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            cid = str(choice.get("id", j))
            texts.append(
                TextField(
                    f"choices[{j}].label", f"Auswahl {cid}", _text(choice.get("label"), langs)
                )
            )
            if "short" in choice:
                texts.append(
                    TextField(
                        f"choices[{j}].short",
                        f"Auswahl {cid}, Kurzform für Telegram-Knöpfe "
                        f"(höchstens {SHORT_LABEL_MAX} Zeichen)",
                        _text(choice.get("short"), langs),
                    )
                )
            if node.get("kind") == "single_choice":
                nexts.append(
                    NextField(
                        f"choices[{j}].next",
                        f"Weiter nach Auswahl {cid}",
                        str(choice.get("next") or ""),
                        True,
                    )
                )
    for key in NEXT_KEYS:
        if key in node:
            nexts.append(NextField(key, NEXT_LABELS[key], str(node[key] or ""), False))
    cases = node.get("cases")
    if isinstance(cases, list):
        for k, case in enumerate(cases):
            if not isinstance(case, dict):
                continue
            for m, cond in enumerate(case.get("when") or []):
                if isinstance(cond, dict):
                    value = cond.get("value")
                    shown = ", ".join(map(str, value)) if isinstance(value, list) else value
                    conditions.append(
                        ConditionField(
                            f"cases[{k}].when[{m}]",
                            f"Fall {k + 1}, Bedingung {m + 1}",
                            str(cond.get("field") or ""),
                            str(cond.get("op") or ""),
                            str(shown or ""),
                        )
                    )
            nexts.append(
                NextField(
                    f"cases[{k}].next",
                    f"Fall {k + 1}: weiter zu",
                    str(case.get("next") or ""),
                    False,
                )
            )
    return NodeForm(
        index, str(node.get("id", "")), str(node.get("kind", "")), texts, nexts, conditions
    )


def _path(text: str) -> Path:
    out: list[str | int] = []
    for name, number in _ITEM.findall(text):
        out.append(name if name else int(number))
    if dotted(tuple(out)) != text:
        raise ValueError(f"not a field path: {text!r}")
    return tuple(out)


def _container(node: dict[str, Any], path: Path) -> tuple[Any, str | int]:
    cur: Any = node
    for item in path[:-1]:
        cur = cur[item]
    return cur, path[-1]


def apply_node_form(data: dict[str, Any], index: int, form: dict[str, list[str]]) -> None:
    """Write the posted fields of node `index` into `data` (in place).

    Only fields the node already has are changed, so a form cannot add keys the model does
    not know; unknown or malformed field names raise ValueError."""
    node = data["nodes"][index]
    current = node_form(data, index)
    changed: dict[str, set[str]] = {}
    by_text = {f.path: f for f in current.texts}
    by_next = {f.path: f for f in current.nexts}
    by_cond = {f.path: f for f in current.conditions}
    for name, values in form.items():
        if len(values) != 1:
            raise ValueError(f"{name} given more than once")
        value = values[0].replace("\r\n", "\n")
        kind, _, rest = name.partition(":")
        if kind == "t":
            path, _, lang = rest.rpartition(":")
            text_field = by_text.get(path)
            if text_field is None or lang not in text_field.values:
                raise ValueError(f"unknown text field {name}")
            holder, key = _container(node, _path(path))
            text = holder.get(key) if isinstance(holder, dict) else holder[key]
            if not isinstance(text, dict):
                text = {}
                holder[key] = text
            if text.get(lang) != value:
                text[lang] = styled(text.get(lang), value)
                changed.setdefault(path, set()).add(lang)
        elif kind == "n":
            next_field = by_next.get(rest)
            if next_field is None:
                raise ValueError(f"unknown next field {name}")
            holder, key = _container(node, _path(rest))
            if value:
                holder[key] = value
            elif next_field.optional:
                holder.pop(key, None)
            else:
                raise ValueError(f"{rest} needs a node")
        elif kind == "c":
            path, _, part = rest.rpartition(":")
            if path not in by_cond or part not in ("field", "op", "value"):
                raise ValueError(f"unknown condition field {name}")
            cond, _ = _container(node, (*_path(path), "field"))
            if part == "value":
                ids = [v.strip() for v in value.split(",") if v.strip()]
                if not ids:
                    cond.pop("value", None)
                else:
                    cond["value"] = (
                        ids if len(ids) > 1 or isinstance(cond.get("value"), list) else ids[0]
                    )
            else:
                cond[part] = value
        elif kind not in ("csrf", "revision"):
            raise ValueError(f"unknown field {name}")
    _mark_outdated(data, current, changed)


def text_id(node: dict[str, Any], path: str) -> str:
    """The translation table's id of a node's text (`node:municipality:choice:garbsen`)."""
    node_id = node.get("id")
    if path.startswith("choices["):
        holder, key = _container(node, _path(path))
        suffix = ":short" if key == "short" else ""
        return f"node:{node_id}:choice:{holder.get('id')}{suffix}"
    if path.startswith("options."):
        return f"node:{node_id}:option:{path.removeprefix('options.')}"
    return f"node:{node_id}:{path}"


def _mark_outdated(data: dict[str, Any], form: NodeForm, changed: dict[str, set[str]]) -> None:
    """A changed source text (the default language) leaves the other languages' texts of it
    outdated until they are changed too: their `translation_sources` name the old source, as
    a PO import does, so the translations table and the editor say "veraltet". A translation
    changed afterwards counts as made from the current source."""
    default = data.get("default_language")
    if not isinstance(default, str):
        return
    for field in form.texts:
        langs = changed.get(field.path, set())
        if not langs or ANY_LANGUAGE in field.values:
            continue
        entry = text_id(data["nodes"][form.index], field.path)
        old = source_hash(field.values[default])
        new = source_hash(changed_text(data, form.index, field.path, default))
        for lang in field.values:
            if lang == default:
                continue
            made = data.get("translation_sources", {}).get(lang, {})
            if lang in langs:
                # Recorded only where a record was kept before: the file gains no lines.
                if entry in made:
                    made[entry] = new
            elif default in langs and entry not in made:
                sources = data.setdefault("translation_sources", {})
                sources.setdefault(lang, {})[entry] = old


def changed_text(data: dict[str, Any], index: int, path: str, lang: str) -> str:
    holder, key = _container(data["nodes"][index], _path(path))
    text = holder.get(key) if isinstance(holder, dict) else holder[key]
    return str(text.get(lang) or "") if isinstance(text, dict) else ""


def crisis_message(data: dict[str, Any]) -> dict[str, str]:
    """Language (or "*") -> the crisis message shown with the crisis numbers."""
    crisis = data.get("crisis")
    return _text(crisis.get("message") if isinstance(crisis, dict) else None, _languages(data))


def crisis_words(data: dict[str, Any]) -> dict[str, str]:
    """Language -> crisis words, one per line, for every language of the flow."""
    crisis = data.get("crisis")
    words = crisis.get("words") if isinstance(crisis, dict) else None
    words = words if isinstance(words, dict) else {}
    out = {}
    for lang in dict.fromkeys([*_languages(data), *words]):
        entries = words.get(lang)
        out[str(lang)] = "\n".join(map(str, entries)) if isinstance(entries, list) else ""
    return out


def apply_crisis_words(data: dict[str, Any], form: dict[str, list[str]]) -> None:
    """The posted crisis words (`w:LANG`, one per line) and message (`m:LANG`)."""
    crisis = data.setdefault("crisis", {})
    if not isinstance(crisis, dict):
        raise ValueError("crisis is not a mapping")
    # Languages not posted keep what they had: a partial form never drops a language. The
    # mappings are changed in place, so their comments and layout stay.
    words = crisis.get("words")
    if not isinstance(words, dict):
        words = crisis["words"] = {}
    message = crisis.get("message")
    if not isinstance(message, dict):
        message = crisis["message"] = {}
    known = set(crisis_words(data))
    known_message = set(crisis_message(data))
    for name, values in form.items():
        kind, _, lang = name.partition(":")
        if kind in ("csrf", "revision"):
            continue
        if len(values) != 1:
            raise ValueError(f"{name} given more than once")
        if kind == "w" and lang in known:
            new = [w.strip() for w in values[0].splitlines() if w.strip()]
            old = words.get(lang)
            if isinstance(old, list):
                if [str(w) for w in old] != new:
                    del old[:]  # the same list, so a [a, b] list stays one line
                    old.extend(new)
            else:
                words[lang] = new
        elif kind == "m" and lang in known_message:
            text = values[0].replace("\r\n", "\n")
            if message.get(lang) != text:
                message[lang] = styled(message.get(lang), text)
        else:
            raise ValueError(f"unknown field {name}")
