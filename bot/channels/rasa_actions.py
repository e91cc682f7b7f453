"""Our Rasa custom actions, written with rasa-sdk, and the aiohttp route that serves them.

Rasa calls custom actions by POSTing its tracker to an action server (`action_endpoint` in
its endpoints.yml). The same actions are served two ways:

- mounted in our app at `POST /rasa/webhook?token=…` (`webhook_route`), which mirrors
  rasa-sdk's own endpoint (`rasa_sdk/endpoint.py`) answer for answer: the actions run in
  rasa-sdk's own `ActionExecutor`, so events and responses are exactly rasa-sdk's; unknown
  action → 404, bad body → 400, `ActionExecutionRejection` → 400 with
  `{"error", "action_name"}`, missing domain for an unknown digest → 449, deflate bodies
  accepted. Unlike rasa-sdk, a failure never echoes the request body: it carries every text
  the person wrote;
- by rasa-sdk's own Sanic server (`anlaufstelle rasa actions`, see `bot.rasa.server`).

The conversation is the tracker's `sender_id` under channel "rasa": it is stored only as
a keyed pseudonym and encrypted, like every channel address. When the Rasa bridge
(`rasa.drive_conversations`) drives a person on one of our channels, the sender id is that
contact's pseudonym instead, and the actions act on the person's real conversation there.
Counsellor replies to a channel-"rasa" conversation cannot be delivered (Rasa's own channels
have no way in for them): the delivery worker drops them at once (bot.delivery.worker).

Logic returns, transport sends: the actions return events and dispatcher messages and
write only through the `ConversationService`, which checks the conversation's owner under its lock.

Actions:
- `action_anlaufstelle_create_case`: the intake form is complete; create the case from the
  slots (checked by our flow's rules), tell the case code, pause Rasa;
- `action_anlaufstelle_handover`: the person wants a counsellor now; hand over with whatever
  valid slots there are; returns Rasa's pause event: from then on the queue owns the
  conversation, exactly as after our own flows' handover node;
- `action_anlaufstelle_crisis`: the crisis resources in the person's language;
- `validate_intake_form`: checks grounds, life area, municipality and incident date.
"""

from __future__ import annotations

import hmac
import logging
import zlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)
from rasa_sdk.types import DomainDict

from bot import bounded_json
from bot.bounded_json import JsonRejected
from bot.channels.base import without_lone_surrogates
from bot.conversation.external import ExternalIntake
from bot.conversation.service import ConversationService
from bot.rasa.intake import (
    CRISIS_SLOT,
    FORM_SLOTS,
    check_slot,
    intake_answers,
    language_of,
    missing_form_slots,
)

log = logging.getLogger(__name__)

NAME = "rasa"
"""Channel name of conversations that Rasa runs (the tracker's sender_id is the address)."""
ROUTE = "/rasa/webhook"
MAX_BODY_BYTES = 4 * 1024 * 1024
"""A tracker with its whole event history and the domain; far beyond any real one."""
MAX_SENDER_ID = 200

ACTION_CREATE_CASE = "action_anlaufstelle_create_case"
ACTION_HANDOVER = "action_anlaufstelle_handover"
ACTION_CRISIS = "action_anlaufstelle_crisis"
ACTION_VALIDATE_INTAKE = "validate_intake_form"

ServiceSource = Callable[[], ConversationService]
"""How an action finds the service: rasa-sdk's server creates it only once its loop runs."""


class _ServiceAction(Action, ABC):  # type: ignore[misc]  # rasa-sdk ships no type hints
    def __init__(self, service: ServiceSource) -> None:
        self._service = service

    @abstractmethod
    def name(self) -> str: ...


class CreateCase(_ServiceAction):
    def name(self) -> str:
        return ACTION_CREATE_CASE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await _hand_over(self._service(), self.name(), dispatcher, tracker, complete=True)


class HandOver(_ServiceAction):
    def name(self) -> str:
        return ACTION_HANDOVER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await _hand_over(self._service(), self.name(), dispatcher, tracker, complete=False)


class ShowCrisisResources(_ServiceAction):
    def name(self) -> str:
        return ACTION_CRISIS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        flow, _ = await self._service().external_flow()
        language = language_of(flow, tracker.current_slot_values())
        dispatcher.utter_message(text=flow.text(flow.crisis.message, language))
        log.warning("rasa: crisis resources shown")
        # The slot makes the case a crisis case in the queue if it is handed over later.
        return [SlotSet(CRISIS_SLOT, True)]


async def _hand_over(
    service: ConversationService,
    action: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    complete: bool,
) -> list[EventType]:
    flow, now = await service.external_flow()
    slots = tracker.current_slot_values()
    if complete:
        missing = missing_form_slots(flow, slots, now)
        if missing:
            # Slot names only: never a value in an error that Rasa may log.
            raise ActionExecutionRejection(action, f"intake incomplete: {', '.join(missing)}")
    intake = ExternalIntake(
        answers=intake_answers(flow, slots, now),
        crisis=slots.get(CRISIS_SLOT) is True,
        language=language_of(flow, slots),
        via=NAME,
    )
    # A conversation the Rasa bridge drives on one of our channels has the contact's
    # pseudonym as sender id: that conversation is handed over, and its handover text goes
    # to the person's channel through our outbox, not through Rasa (which so never learns
    # the case code). Any other sender id is a conversation on Rasa's own channels.
    channel, address = await service.external_sender(NAME, tracker.sender_id)
    bridged = channel != NAME
    result = await service.external_handover(channel, address, intake, deliver=bridged)
    if result.text is not None and not result.delivered:
        dispatcher.utter_message(text=result.text)
    # Paused either way: a conversation the queue or a counsellor owns is never Rasa's again.
    return [ConversationPaused()]


class ValidateIntakeForm(FormValidationAction):  # type: ignore[misc]  # rasa-sdk is untyped
    """Rasa's `intake_form` slots, checked by the rules of our published intake flow.

    A rejected value is set back to None with the flow's own error text (the form asks
    again). A turn that brought no value at all for the slot being asked is rejected as a
    whole (`ActionExecutionRejection`, HTTP 400), so Rasa lets its other policies answer.
    """

    def __init__(self, service: ServiceSource) -> None:
        self._service = service

    def name(self) -> str:
        return ACTION_VALIDATE_INTAKE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested in FORM_SLOTS and requested not in tracker.slots_to_validate():
            raise ActionExecutionRejection(self.name(), f"no value for slot {requested}")
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    async def _check(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        flow, now = await self._service().external_flow()
        language = language_of(flow, tracker.current_slot_values())
        checked = check_slot(flow, slot, value, language, now)
        for text in checked.errors:
            dispatcher.utter_message(text=text)
        result: dict[str, Any] = {slot: checked.slot_value}
        if checked.crisis:
            log.warning("rasa: crisis words in a form answer; crisis resources shown")
            result[CRISIS_SLOT] = True
        return result

    async def validate_grounds(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._check("grounds", value, dispatcher, tracker)

    async def validate_life_area(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._check("life_area", value, dispatcher, tracker)

    async def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._check("municipality", value, dispatcher, tracker)

    async def validate_incident_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._check("incident_date", value, dispatcher, tracker)


def build_executor(service: ServiceSource) -> ActionExecutor:
    """rasa-sdk's executor with our actions registered as instances bound to the service."""
    executor = ActionExecutor()
    for action in (
        CreateCase(service),
        HandOver(service),
        ShowCrisisResources(service),
        ValidateIntakeForm(service),
    ):
        executor.register_action(action)
    return executor


# ---------------------------------------------------------------- the mounted route


def token_ok(expected: str, given: str | None) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a forged token may hold any.
    return given is not None and hmac.compare_digest(
        expected.encode(), given.encode("utf-8", "replace")
    )


class BadBody(ValueError):
    """The request body is not an action call; the message holds no content."""


async def read_action_call(request: web.Request) -> dict[str, Any]:
    """The JSON action call, inflated if Rasa sent it deflate-compressed, size-limited."""
    raw = await _read_limited(request, MAX_BODY_BYTES)
    # aiohttp's server inflates deflate bodies itself (auto_decompress, on by default), and
    # the limit above then counts inflated bytes; inflate here only what is still zlib data.
    deflate = request.headers.get("Content-Encoding", "").lower() == "deflate"
    if deflate and raw[:1] not in (b"{", b"[", b" ", b"\n", b"\r", b"\t"):
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(raw, MAX_BODY_BYTES)
        except zlib.error:
            raise BadBody("body is not valid deflate data") from None
        if inflater.unconsumed_tail:
            raise BadBody("inflated body too large")
    try:
        call = without_lone_surrogates(bounded_json.loads(raw, max_bytes=MAX_BODY_BYTES))
    except JsonRejected:
        raise BadBody("Invalid body request") from None
    return check_action_call(call)


def check_action_call(call: Any) -> dict[str, Any]:
    """The shape rasa-sdk's executor relies on; anything else is a 400, not a crash."""
    if not isinstance(call, dict):
        raise BadBody("Invalid body request")
    action = call.get("next_action")
    if action is not None and not isinstance(action, str):
        raise BadBody("next_action must be a string")
    if action:
        tracker = call.get("tracker")
        if not isinstance(tracker, dict):
            raise BadBody("tracker must be an object")
        sender = tracker.get("sender_id")
        if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_ID:
            raise BadBody(f"tracker.sender_id must be a string of 1 to {MAX_SENDER_ID} characters")
        for key, kind in (("slots", dict), ("latest_message", dict), ("events", list)):
            if tracker.get(key) is not None and not isinstance(tracker[key], kind):
                raise BadBody(f"tracker.{key} has the wrong type")
        if call.get("domain") is not None and not isinstance(call["domain"], dict):
            raise BadBody("domain must be an object")
    return call


async def _read_limited(request: web.Request, limit: int) -> bytes:
    # The app's client_max_size is sized for chat messages; a tracker with its domain is
    # larger, so this route reads its own body with its own limit.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def webhook_route(executor: ActionExecutor, token: str) -> Handler:
    async def webhook(request: web.Request) -> web.StreamResponse:
        if not token_ok(token, request.query.get("token")):
            log.warning("rasa actions: request with a missing or wrong token refused")
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            call = await read_action_call(request)
        except BadBody as exc:
            return web.json_response({"error": str(exc)}, status=400)
        name = call.get("next_action")
        try:
            result = await executor.run(call)
        except ActionExecutionRejection as exc:
            return _error(exc, 400)
        except ActionNotFoundException as exc:
            log.error("rasa actions: unknown action requested")
            return _error(exc, 404)
        except ActionMissingDomainException as exc:
            return _error(exc, 449)
        except Exception as exc:
            # Class name only: a message could quote a slot value.
            log.error("rasa action %s failed (%s)", name, exc.__class__.__name__)
            return web.json_response(
                {"error": "the action failed", "action_name": name}, status=500
            )
        return web.json_response(result.model_dump() if result else None)

    return webhook


def _error(exc: Any, status: int) -> web.Response:
    """rasa-sdk's error shape, which Rasa reads (400: rejected, 404: unknown, 449: send domain).

    `exc` is one of rasa-sdk's three exceptions (untyped, hence Any); each has both fields.
    """
    return web.json_response({"error": exc.message, "action_name": exc.action_name}, status=status)


def setup_routes(app: web.Application, executor: ActionExecutor, token: str) -> None:
    app.router.add_post(ROUTE, webhook_route(executor, token))
