"""Action calls exactly as Rasa 3.x sends them to an action server.

Rasa's `RemoteAction` posts `{"next_action", "sender_id", "tracker", "domain", "version",
"domain_digest"}`; the tracker is `DialogueStateTracker.current_state(EventVerbosity.ALL)`:
sender id, slots, latest message (intent, entities, text, ranking), every event, paused,
follow-up action, active loop, latest action. The domain is the example project's
(config/rasa/domain.yml) as Rasa's `Domain.as_dict()` writes it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import yaml

RASA_VERSION = "3.6.20"
DOMAIN_FILE = Path(__file__).resolve().parent.parent / "config" / "rasa" / "domain.yml"


@cache
def _domain() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    raw.setdefault("config", {"store_entities_as_slots": True})
    # Rasa adds the form's bookkeeping slot to every domain that has forms.
    raw["slots"]["requested_slot"] = {
        "type": "any",
        "influence_conversation": False,
        "mappings": [{"type": "custom"}],
    }
    return raw


def domain() -> dict[str, Any]:
    return copy.deepcopy(_domain())


def domain_digest(value: dict[str, Any]) -> str:
    """Rasa sends a digest of the domain; the action server caches the domain under it."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


EMPTY_SLOTS: dict[str, Any] = {
    "language": "de",
    "crisis": None,
    "incident_date": None,
    "life_area": None,
    "municipality": None,
    "grounds": None,
    "requested_slot": None,
    "session_started_metadata": None,
}


def parse_data(
    text: str, intent: str, entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97},
        "entities": entities or [],
        "message_id": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
        "metadata": {},
        "intent_ranking": [
            {"name": intent, "confidence": 0.97},
            {"name": "greet", "confidence": 0.02},
        ],
        "response_selector": {"all_retrieval_intents": [], "default": {}},
    }


def action_call(
    action: str,
    *,
    sender_id: str = "rasa-user-1",
    slots: dict[str, Any] | None = None,
    text: str = "/inform",
    intent: str = "inform",
    candidates: dict[str, Any] | None = None,
    requested_slot: str | None = None,
    active_loop: str | None = None,
    include_domain: bool = True,
    paused: bool = False,
) -> dict[str, Any]:
    """One action call. `candidates` are slot values extracted in this turn: Rasa's form
    appends them as slot events after the user event, which is where rasa-sdk's
    `slots_to_validate` finds them."""
    now = time.time()
    all_slots = {**EMPTY_SLOTS, **(slots or {}), "requested_slot": requested_slot}
    latest = parse_data(
        text,
        intent,
        [
            {
                "entity": k,
                "value": v,
                "start": 0,
                "end": len(text),
                "extractor": "RegexEntityExtractor",
            }
            for k, v in (candidates or {}).items()
        ],
    )
    events: list[dict[str, Any]] = [
        {
            "event": "action",
            "timestamp": now - 30,
            "name": "action_session_start",
            "policy": None,
            "confidence": 1.0,
            "action_text": None,
            "hide_rule_turn": False,
        },
        {"event": "session_started", "timestamp": now - 30},
        {
            "event": "action",
            "timestamp": now - 30,
            "name": "action_listen",
            "policy": None,
            "confidence": None,
            "action_text": None,
            "hide_rule_turn": False,
        },
    ]
    for name, value in (slots or {}).items():
        events.append({"event": "slot", "timestamp": now - 20, "name": name, "value": value})
    if active_loop:
        events.append({"event": "active_loop", "timestamp": now - 20, "name": active_loop})
    if requested_slot:
        events.append(
            {
                "event": "slot",
                "timestamp": now - 15,
                "name": "requested_slot",
                "value": requested_slot,
            }
        )
    events.append(
        {
            "event": "user",
            "timestamp": now - 1,
            "text": text,
            "parse_data": latest,
            "input_channel": "rest",
            "message_id": latest["message_id"],
            "metadata": {},
        }
    )
    events.append(
        {"event": "user_featurization", "timestamp": now - 1, "use_text_for_featurization": False}
    )
    for name, value in (candidates or {}).items():
        events.append({"event": "slot", "timestamp": now, "name": name, "value": value})
    tracker = {
        "sender_id": sender_id,
        "slots": {**all_slots, **(candidates or {})},
        "latest_message": latest,
        "latest_event_time": now,
        "followup_action": None,
        "paused": paused,
        "events": events,
        "latest_input_channel": "rest",
        "active_loop": {
            "name": active_loop,
            "validate": True,
            "rejected": False,
            "trigger_message": latest,
        }
        if active_loop
        else {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    }
    body: dict[str, Any] = {
        "next_action": action,
        "sender_id": sender_id,
        "tracker": tracker,
        "version": RASA_VERSION,
    }
    value = domain()
    body["domain_digest"] = domain_digest(value)
    if include_domain:
        body["domain"] = value
    return body


def complete_slots(**overrides: Any) -> dict[str, Any]:
    """A filled intake form, with values as the example project's buttons send them."""
    slots: dict[str, Any] = {
        "language": "de",
        "incident_date": "this_week",
        "life_area": ["housing"],
        "municipality": "garbsen",
        "grounds": ["racism", "language"],
    }
    slots.update(overrides)
    return slots
