"""Free-text understanding: ask a Rasa server's NLU which grounds or life area a text names.

`POST {nlu_url}/model/parse?token=…` with `{"text": …}` answers with Rasa's parse result
(`intent`, `entities` with `entity`, `value` and, from DIET, `confidence_entity`). Entities
whose name is the store key of a choice question in the flow, and whose value is one of
its choice ids, become suggestions for the person to confirm there.

Best effort by design: a timeout, an HTTP error, an unreadable answer or a Rasa that is
down all give "no suggestion", and the person sees the plain choices. Crisis words and the
conversation's owner are checked by the conversation service before anything is sent here.
Texts are never logged; a failure is logged by its kind only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from dialogs.model import Flow, MultiChoiceNode, SingleChoiceNode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    confidence: float | None


@dataclass(frozen=True)
class Understanding:
    intent: str | None
    intent_confidence: float
    entities: tuple[Entity, ...]


class NluClient:
    def __init__(
        self,
        url: str,
        token: str | None,
        timeout: float,
        session: aiohttp.ClientSession,
    ) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session = session

    async def parse(self, text: str) -> Understanding | None:
        """Rasa's reading of `text`, or None whenever Rasa cannot answer in time."""
        params = {"token": self.token} if self.token else {}
        try:
            async with self.session.post(
                self.url, json={"text": text}, params=params, timeout=self.timeout
            ) as resp:
                if resp.status != 200:
                    log.warning("rasa nlu answered HTTP %s; no suggestion", resp.status)
                    return None
                data = await resp.json(content_type=None)
        except TimeoutError:
            log.warning("rasa nlu did not answer in time; no suggestion")
            return None
        except (aiohttp.ClientError, ValueError) as exc:
            log.warning(
                "rasa nlu unreachable or unreadable (%s); no suggestion", type(exc).__name__
            )
            return None
        return _understanding(data)


class Suggester:
    """The conversation service's `Understander`: Rasa's reading turned into suggestions."""

    def __init__(self, client: NluClient, min_confidence: float) -> None:
        self.client = client
        self.min_confidence = min_confidence

    async def suggest(self, flow: Flow, text: str) -> Mapping[str, tuple[str, ...]]:
        understood = await self.client.parse(text)
        return {} if understood is None else suggestions(flow, understood, self.min_confidence)


def _understanding(data: Any) -> Understanding | None:
    if not isinstance(data, dict):
        return None
    raw_intent = data.get("intent")
    intent: dict[str, Any] = raw_intent if isinstance(raw_intent, dict) else {}
    name = intent.get("name") if isinstance(intent.get("name"), str) else None
    confidence = _number(intent.get("confidence")) or 0.0
    entities = []
    for raw in data.get("entities") or []:
        if not isinstance(raw, dict):
            continue
        entity, value = raw.get("entity"), raw.get("value")
        if isinstance(entity, str) and isinstance(value, str):
            entities.append(Entity(entity, value, _number(raw.get("confidence_entity"))))
    return Understanding(name, confidence, tuple(entities))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def suggestions(
    flow: Flow, understanding: Understanding, min_confidence: float
) -> Mapping[str, tuple[str, ...]]:
    """Store key of a choice question -> choice ids Rasa found in the text, in choice order.

    Only ids the flow offers there pass; an entity without a confidence (a regex or lookup
    extractor) counts as certain, one below `min_confidence` is dropped.
    """
    found: dict[str, set[str]] = {}
    for e in understanding.entities:
        if e.confidence is not None and e.confidence < min_confidence:
            continue
        found.setdefault(e.entity, set()).add(e.value)
    result: dict[str, tuple[str, ...]] = {}
    for node in flow.nodes:
        if isinstance(node, SingleChoiceNode | MultiChoiceNode) and node.key in found:
            picks = tuple(c.id for c in node.choices if c.id in found[node.key])
            if isinstance(node, SingleChoiceNode):
                picks = picks[:1] if len(picks) == 1 else ()  # two towns: no guess
            if picks:
                result[node.key] = picks
    return result
