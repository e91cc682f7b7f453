"""The configuration reference (docs/configuration.md), generated from the settings model.

`python -m bot.settings_reference > docs/configuration.md` writes it; a test compares the
committed file with this output, so the reference cannot drift from `bot/settings.py`.

Descriptions come from the attribute docstrings in `bot/settings.py` (the string under a
field); fields without one are described in `NOTES` here, and a test insists that every field
has one or the other.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.settings import Settings

ENV_PREFIX = "ANLAUFSTELLE_"

NOTES: dict[str, str] = {
    "data_dir": "Where the SQLite database and, by default, the server key live; created "
    "(mode 0700) on the first start. Relative to the working directory.",
    "database_password_file": "File holding the database password, merged into "
    "database_url, so the URL carries no secret (e.g. a Docker secret).",
    "host": "Address the HTTP service listens on; loopback by default, so nothing is exposed "
    "by accident. In a container: 0.0.0.0 (publish the port on loopback only).",
    "port": "TCP port of the HTTP service (web chat, console, webhooks, /livez, /readyz).",
    "kdf_memory_kib": "Argon2id memory cost (KiB) for counsellor passwords, recovery keys and "
    "case codes; lower it only for tests, never in production.",
    "kdf_time_cost": "Argon2id passes; see kdf_memory_kib.",
    "log_level": "DEBUG, INFO, WARNING or ERROR. Log lines carry ids and counts, never content.",
    "bridge.enabled": "Accept messages from another gateway at /bridge/messages "
    "(docs/bridge-protocol.md).",
    "bridge.callback_url": "Where replies to bridge contacts are posted.",
    "bridge.secret": "The shared secret that signs bridge requests and callbacks; prefer "
    "secret_file.",
    "bridge.secret_file": "File holding the bridge secret.",
    "webchat.enabled": "Serve the web chat at /chat (and its WebSocket).",
    "webchat.office_name": "The office's name in the chat pages' titles and texts.",
    "webchat.frames_burst": "Frames a WebSocket connection may send at once before "
    "frames_per_second applies.",
    "console.enabled": "Serve the counsellors' console at /console.",
    "office_hours.tuesday": "As monday.",
    "office_hours.wednesday": "As monday.",
    "office_hours.thursday": "As monday.",
    "office_hours.friday": "As monday.",
    "office_hours.saturday": "As monday.",
    "office_hours.sunday": "As monday.",
    "telegram.token_file": "File holding the bot token (a Docker secret); wins over token.",
    "telegram.secret_token_file": "File holding the webhook secret token; wins over secret_token.",
    "notifications.smtp_host": "Mail server for alert e-mails; e-mail alerts are on once this "
    "and email_recipients are set.",
    "notifications.smtp_port": "Port of the mail server (587 for starttls, 465 for tls).",
    "notifications.smtp_username": "Login at the mail server; none: send without login.",
    "notifications.smtp_password_file": "File holding the mail server password.",
    "notifications.email_from": "Sender address of alert e-mails.",
    "notifications.telegram_token": "Token of the alert bot; prefer telegram_token_file.",
    "notifications.telegram_base_url": "The Bot API address for alerts (a local Bot API "
    "server, or an emulator in tests).",
    "metrics.enabled": "Serve Prometheus metrics (counts and gauges only) on metrics.host:port "
    "/metrics; off by default.",
    "metrics.port": "Port of the metrics listener.",
    "delivery.poll_seconds": "How often the outbox worker looks for replies to send.",
    "delivery.backoff_initial_seconds": "Wait before the first retry of a failed delivery; "
    "doubled (with jitter) on each further failure.",
    "delivery.backoff_max_seconds": "The longest wait between two delivery attempts.",
    "rasa.action_token": "The token Rasa sends to our actions; prefer action_token_file.",
    "rasa.actions_port": "Port of `anlaufstelle rasa actions`.",
    "rasa.nlu_token": "Token for Rasa's HTTP API (sent as ?token=); prefer nlu_token_file.",
    "rasa.nlu_token_file": "File holding the token for Rasa's HTTP API.",
    "rasa.nlu_min_confidence": "Suggestions Rasa is less sure of than this are not shown.",
}
"""Descriptions of settings without an attribute docstring in bot/settings.py, by dotted name."""

SECTION_NOTES: dict[str, str] = {
    "delivery": "The outbox worker that sends replies: how often it looks, how it retries.",
}
"""Descriptions of tables whose model class has no docstring."""


@dataclass(frozen=True)
class Entry:
    """One setting as the reference shows it."""

    name: str
    """Dotted name as in the TOML file, e.g. "webchat.allowed_origins"."""
    env: str
    type: str
    default: str
    description: str


def field_docstrings(cls: type) -> dict[str, str]:
    """The string literal right under each annotated attribute of ``cls`` (PEP 257's
    attribute docstrings), read from the source because Python keeps no trace of them."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    out: dict[str, str] = {}
    for current, following in pairwise(body):
        if (
            isinstance(current, ast.AnnAssign)
            and isinstance(current.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            out[current.target.id] = inspect.cleandoc(following.value.value)
    return out


def _section_models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    return {
        name: field.annotation
        for name, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }


def entries(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[Entry]:
    """Every leaf setting of ``model``, top-level ones first, then each table's."""
    docs = field_docstrings(model)
    sections = _section_models(model)
    for name, field in model.model_fields.items():
        if name in sections:
            continue
        dotted = prefix + name
        yield Entry(
            name=dotted,
            env=ENV_PREFIX + dotted.replace(".", "__").upper(),
            type=type_text(field),
            default=default_text(field),
            description=_one_line(docs.get(name) or NOTES.get(dotted, "")),
        )
    for name, section in sections.items():
        yield from entries(section, prefix + name + ".")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _annotation_text(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _annotation_text(args[0])
    if origin is Literal:
        return " or ".join(json.dumps(arg) for arg in args)
    if origin in (Union, types.UnionType):
        parts = [_annotation_text(arg) for arg in args if arg is not type(None)]
        text = " or ".join(parts)
        return f"{text} (optional)" if type(None) in args else text
    if origin is list:
        return f"list of {_annotation_text(args[0])}"
    if origin is dict:
        return f"table of {_annotation_text(args[0])} → {_annotation_text(args[1])}"
    if annotation is SecretStr:
        return "secret string"
    if annotation is Path:
        return "path"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        keys = ", ".join(annotation.model_fields)
        return f"table ({keys})"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " or ".join(json.dumps(member.value) for member in annotation)
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation)


_BOUNDS: tuple[tuple[type[Any], str, str], ...] = (
    (annotated_types.Ge, "ge", "≥"),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "≤"),
    (annotated_types.Lt, "lt", "<"),
    (annotated_types.MinLen, "min_length", "length ≥"),
    (annotated_types.MaxLen, "max_length", "length ≤"),
)


def _bounds(metadata: list[Any]) -> list[str]:
    out = []
    for item in metadata:
        for kind, attribute, sign in _BOUNDS:
            if isinstance(item, kind):
                out.append(f"{sign} {getattr(item, attribute)}")
    return out


def type_text(field: FieldInfo) -> str:
    metadata = list(field.metadata)
    # Constraints of an Annotated alias (e.g. RetentionDays) sit inside the annotation.
    if get_origin(field.annotation) is Annotated:
        for extra in get_args(field.annotation)[1:]:
            metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    text = _annotation_text(field.annotation)
    bounds = _bounds(metadata)
    return f"{text}, {', '.join(bounds)}" if bounds else text


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return _toml_value(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, BaseModel):
        return _toml_value(value.model_dump(mode="json"))
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def default_text(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    if value is None:
        return "(not set)"
    if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
        # e.g. the built-in reply snippets: too long for a table cell, and not a setting's
        # shape an operator copies; name what is there instead.
        return f"{len(value)} built-in entries"
    return _toml_value(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "—"


def _table(rows: list[Entry]) -> list[str]:
    lines = [
        "| setting | environment | type | default | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        short = row.name.rpartition(".")[2]
        lines.append(
            f"| `{short}` | `{row.env}` | {_cell(row.type)} | `{_cell(row.default)}` "
            f"| {_cell(row.description)} |"
        )
    return lines


_INTRO = """\
# Configuration reference

<!-- Generated from bot/settings.py by `python -m bot.settings_reference >
docs/configuration.md`; do not edit by hand (a test compares this file with the output). -->

Every setting is optional. Settings come from a TOML file (`anlaufstelle --config FILE …` or
`ANLAUFSTELLE_CONFIG=FILE`; an annotated example is
[config/anlaufstelle.example.toml](../config/anlaufstelle.example.toml)) and from environment
variables, which win over the file. A setting inside a table such as `[webchat]` has a double
underscore in its variable: `allowed_origins` in `[webchat]` is
`ANLAUFSTELLE_WEBCHAT__ALLOWED_ORIGINS`. Lists and tables given in the environment are
written as JSON: `ANLAUFSTELLE_WEBCHAT__ALLOWED_ORIGINS='["https://www.partner.example"]'`.

Secrets belong in files (`*_file` settings, e.g. Docker secrets): the settings file is usually
readable by more people than the secrets should be. Relative paths are relative to the
working directory of the process. `anlaufstelle doctor` checks a configuration without
starting the service. Operating the service: [operations.md](operations.md).
"""


def render() -> str:
    """The whole reference as Markdown."""
    rows = list(entries())
    out = [_INTRO, "## Top level", ""]
    out += _table([row for row in rows if "." not in row.name])
    for name, section in _section_models(Settings).items():
        # The class's own docstring only: an undocumented model would inherit BaseModel's.
        doc = _one_line(section.__dict__.get("__doc__") or SECTION_NOTES.get(name, ""))
        out += ["", f"## `[{name}]`", ""]
        if doc:
            out += [doc, ""]
        out += _table([row for row in rows if row.name.startswith(name + ".")])
    return "\n".join(out) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
