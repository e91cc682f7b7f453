"""The composition root: builds the aiohttp Application with its channels and workers.

Lifecycle is explicit (`cleanup_ctx`): the outgoing HTTP session, the delivery worker, the
idle-state sweeper and the new-case alerts start with the app and stop with it; the store is
opened by the caller (`anlaufstelle serve`) so start-up errors surface before the port is bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web, web_response
from aiohttp.typedefs import Handler, Middleware

from bot import log_safety, metrics_http, resources, ui_texts
from bot.channels import bridge, signal, telegram, webchat
from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.console.routes import setup_console
from bot.conversation.code_hold import CodeHold
from bot.conversation.flows import FlowCatalog, NoPublishedFlow
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from bot.health import add_health_routes
from bot.keys import (
    CHANNELS,
    CLOCK,
    CONSOLE,
    HEALTH,
    OFFICE_CONFIG,
    SERVICE,
    SETTINGS,
    SIGNAL,
    STORE,
    TELEGRAM,
    WEBCHAT,
    WEBCHAT_LIMITS,
    WORKER,
)
from bot.log_format import request_ids
from bot.office import housekeeping
from bot.office.alert_senders import configured_senders
from bot.office.config import REFRESH_SECONDS, Effective, OfficeConfig
from bot.office.new_case_alerts import NewCaseAlerts
from bot.ratelimit import KeyedLimiter
from bot.settings import Settings
from bot.web.routes import setup_pages
from storage import leader, meta, notify, outbox
from storage.notify import OUTBOX_CHANNEL, WEBCHAT_CHANNEL, Listener
from storage.store import Store

log = logging.getLogger(__name__)


SWEEP_INTERVAL_SECONDS = 600.0


def create_app(
    settings: Settings,
    store: Store,
    *,
    channels: dict[str, Channel] | None = None,
    flow_id: str = "intake",
    clock: Clock | None = None,
) -> web.Application:
    """The service with its one clock: `clock`, else the store's if it is a whole `Clock`,
    else the machine's. Storage stamps rows with the same clock from then on, so no part of
    the service can disagree with another about the date (a sweeper on the machine's date
    wiping a conversation that runs on a test's date, say)."""
    if clock is None:
        clock = store.clock if isinstance(store.clock, Clock) else SystemClock()
    store.clock = clock
    # Every value from outside that reaches a log line is escaped there (CR/LF forge lines).
    log_safety.install()
    _no_server_versions()
    app = web.Application(
        client_max_size=bridge.MAX_BODY_BYTES,
        middlewares=[
            request_ids,
            *([metrics_http.request_timing] if settings.metrics.enabled else []),
            _forwarded_scheme(settings),
        ],
    )
    app.on_response_prepare.append(_transport_headers)
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[STORE] = store
    registry: dict[str, Channel] = dict(channels or {})
    app[CHANNELS] = registry
    codes = CodeHold(clock)
    worker = DeliveryWorker(store, registry, settings.delivery, clock=clock, reveal=codes.reveal)
    app[WORKER] = worker
    app[SERVICE] = ConversationService(
        store,
        FlowCatalog(flow_id),
        response_time=settings.response_time,
        office_contact=settings.office_contact,
        office_name=settings.webchat.office_name,
        clock=clock,
        on_outbox=worker.wake,
        timezone=ZoneInfo(settings.office_timezone),
        office_hours=settings.office_schedule(),
        codes=codes,
        evidence_limits=settings.attachments.limits(),
    )
    config = OfficeConfig(settings, store)
    app[OFFICE_CONFIG] = config
    service = app[SERVICE]
    # A reply to the person who just wrote goes out at once; the outbox stays its durable
    # path (and the only one for everything else).
    service.pusher = worker

    def use_hours(effective: Effective) -> None:
        service.office_hours = effective.schedule

    # The service reads `office_hours` at each handover: replacing it applies new hours
    # from the next message on, no restart.
    config.on_change(use_hours)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_flow_ready)
    app.cleanup_ctx.append(_office_config)
    app.cleanup_ctx.append(_ui_texts)
    add_health_routes(app)
    app.router.add_get("/", index)
    if settings.webchat.enabled:
        channel = webchat.WebChatChannel()
        if not store.db.is_sqlite:  # one process per SQLite database: nobody to tell
            channel.pseudonym_of = functools.partial(store.contact_pseudonym, webchat.NAME)

            async def relay(kind: str, payload: str) -> None:
                await notify.publish(store.db, notify.WEBCHAT_CHANNEL, f"{kind}:{payload}")

            channel.relay = relay
        registry[webchat.NAME] = channel
        app[WEBCHAT] = channel
        new_chats = settings.webchat.new_chats_per_10_minutes
        # One limit for every path that starts a conversation for a client network (the
        # socket and the plain forms): checked by the service where it creates one.
        service.new_conversations = KeyedLimiter(new_chats, new_chats / 600, clock.monotonic)
        app[WEBCHAT_LIMITS] = webchat.Limits(
            clock.monotonic,
            frames_burst=settings.webchat.frames_burst,
            frames_per_second=settings.webchat.frames_per_second,
            trusted_proxies=frozenset(settings.webchat.trusted_proxies),
            sockets=webchat.SocketCount(
                settings.webchat.max_sockets, settings.webchat.max_sockets_per_client
            ),
            hello_timeout=settings.webchat.hello_timeout_seconds,
        )
        app.router.add_get(
            "/chat/ws",
            webchat.ws_route(app[SERVICE], channel, config.allowed_origins, app[WEBCHAT_LIMITS]),
        )
        app.on_shutdown.append(_close_sockets)
        setup_pages(app)
    if settings.bridge.enabled:
        app.cleanup_ctx.append(_bridge_channel)
        app.router.add_post(
            "/bridge/messages",
            bridge.inbound_route(settings.bridge.resolved_secret(), app[SERVICE].handle),
        )
    if settings.console.enabled:
        setup_console(app)
    if settings.rasa.actions_enabled:
        _setup_rasa_actions(app)
    if settings.rasa.nlu_url:
        app.cleanup_ctx.append(_rasa_nlu)
    if settings.telegram.enabled:
        runtime = telegram.TelegramRuntime(
            settings.telegram,
            app[SERVICE],
            app[SERVICE].languages,
            settings.legal,
            app[SERVICE].evidence_limits,
            settings.resolved_spool_dir,
            clock,
        )
        app[TELEGRAM] = runtime
        registry[telegram.NAME] = runtime.channel
        if settings.telegram.mode == "webhook":
            app.router.add_post(telegram.WEBHOOK_PATH, runtime.route())
        app.cleanup_ctx.append(_telegram)
    if settings.signal.enabled:
        signal_runtime = signal.SignalRuntime(
            settings.signal,
            app[SERVICE],
            app[SERVICE].languages,
            settings.legal,
            MetaCursor(store, "signal.last_event_id"),
            leader.Lease(store.db, leader.SIGNAL_EVENTS),
        )
        app[SIGNAL] = signal_runtime
        registry[signal.NAME] = signal_runtime.channel
        # Not a readiness condition: the web chat and Telegram work without it; the admins
        # see its state, /readyz names it as degraded.
        app[HEALTH].add("signal", lambda: signal_runtime.reachable, required=False)
        if CONSOLE in app:
            app[CONSOLE].channel_states[signal.NAME] = lambda: signal_runtime.state
        app.cleanup_ctx.append(_signal)
    if settings.rasa.drive_conversations:
        settings.rasa.resolved_rest_url()  # a missing URL stops the start, not the first message
        app.cleanup_ctx.append(_rasa_driver)
    app.cleanup_ctx.append(_delivery_worker)
    app.cleanup_ctx.append(_code_pool)
    if settings.metrics.enabled:
        app.cleanup_ctx.append(_metrics)
    app.cleanup_ctx.append(_idle_sweeper)
    notifications = settings.notifications
    if notifications.email_enabled or notifications.telegram_enabled:
        app.cleanup_ctx.append(_new_case_alerts)
    return app


def _forwarded_scheme(settings: Settings) -> Middleware:
    """Mark requests that came over https to a trusted proxy (X-Forwarded-Proto from the
    addresses in `webchat.trusted_proxies`, with `console.trust_forwarded_proto`), for the
    console's cookies and the HSTS header; the header from anyone else is ignored. Every
    request also gets its client address behind those proxies (X-Forwarded-For)."""
    trusted = frozenset(settings.webchat.trusted_proxies)
    believe = settings.console.trust_forwarded_proto
    if believe and not trusted:
        log.warning(
            "console.trust_forwarded_proto is set but webchat.trusted_proxies is empty: "
            "X-Forwarded-Proto is believed from no one; list the proxy's address there"
        )

    @web.middleware
    def middleware(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        request[webchat.CLIENT_ADDRESS] = webchat.client_address(request, trusted)
        if believe and webchat.forwarded_https(request, trusted):
            request[webchat.FORWARDED_HTTPS] = True
        # The handler's awaitable, not awaited here: no frame of ours stays beside every
        # open WebSocket for its lifetime.
        return handler(request)

    return middleware


SERVER_NAME = "Anlaufstelle"
"""The Server header of every response: aiohttp's default names itself and Python with their
versions, a list of what to attack."""


def _no_server_versions() -> None:
    # Answers to requests the HTTP parser refuses bypass the app's signals; aiohttp fills
    # their Server header from this module global at send time.
    setattr(web_response, "SERVER_SOFTWARE", SERVER_NAME)  # noqa: B010 (not re-exported)


async def _transport_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER_NAME
    if request.secure or request.get(webchat.FORWARDED_HTTPS) is True:
        # Over TLS (directly or behind a trusted proxy): browsers keep to https from now on.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def _setup_rasa_actions(app: web.Application) -> None:
    # Imported here: rasa-sdk pulls in Sanic, gRPC and OpenTelemetry, which an office
    # without Rasa need not load.
    try:
        from bot.channels import rasa_actions
    except ImportError:
        raise SystemExit(
            "error: rasa.actions_enabled is set but the Rasa integration is not installed: "
            "pip install 'anlaufstelle[rasa]'"
        ) from None

    service = app[SERVICE]
    executor = rasa_actions.build_executor(lambda: service)
    rasa_actions.setup_routes(app, executor, app[SETTINGS].rasa.resolved_action_token())


async def _rasa_nlu(app: web.Application) -> AsyncIterator[None]:
    from bot.rasa.nlu import NluClient, Suggester

    rasa = app[SETTINGS].rasa
    assert rasa.nlu_url is not None  # only added when set
    async with aiohttp.ClientSession() as session:
        client = NluClient(rasa.nlu_url, rasa.resolved_nlu_token(), rasa.nlu_timeout, session)
        app[SERVICE].nlu = Suggester(client, rasa.nlu_min_confidence)
        yield
        app[SERVICE].nlu = None


async def _rasa_driver(app: web.Application) -> AsyncIterator[None]:
    from bot.rasa.driver import RasaDriver

    rasa = app[SETTINGS].rasa
    async with aiohttp.ClientSession() as session:
        app[SERVICE].driver = RasaDriver(
            rasa.resolved_rest_url(), rasa.rest_timeout, session, rasa.resolved_api_token()
        )
        yield
        app[SERVICE].driver = None


async def _resources(app: web.Application) -> AsyncIterator[None]:
    """Raise the open-files limit, fit the web chat's socket cap under it, and keep
    asyncio's accept errors (should the limit be reached anyway) to a line per interval."""
    limit = resources.raise_file_limit()
    resources.forbid_core_dumps()
    if WEBCHAT_LIMITS in app:
        sockets = app[WEBCHAT_LIMITS].sockets
        wanted = sockets.total
        sockets.total = resources.socket_budget(limit, wanted)
        if sockets.total < wanted:
            log.warning(
                "webchat: at most %s sockets (not %s) under the open-files limit of %s",
                sockets.total,
                wanted,
                limit.soft,
            )
    monotonic = app[CLOCK].monotonic
    remove = resources.throttle_accept_errors(monotonic)
    flood = resources.LogThrottle(monotonic)
    webchat.flood_log.addFilter(flood)
    yield
    webchat.flood_log.removeFilter(flood)
    remove()
    # A write-ahead log clearing still under way finishes before the database is closed.
    await app[STORE].wal_cleared()


async def _flow_ready(app: web.Application) -> AsyncIterator[None]:
    """The published flow parsed before anyone is served: otherwise the first message
    after a start parses it (a third of a second for the shipped intake) inside its write
    transaction, and on SQLite everyone else's message waits for it."""
    try:
        await app[SERVICE].languages()
    except NoPublishedFlow:
        log.info("no flow published yet: it is parsed when its first conversation starts")
    yield


async def _close_sockets(app: web.Application) -> None:
    await app[WEBCHAT].close_all()


async def _bridge_channel(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS].bridge
    if not settings.callback_url:
        raise web.HTTPInternalServerError(text="bridge.callback_url is not set")
    async with aiohttp.ClientSession() as session:
        app[CHANNELS][bridge.NAME] = bridge.BridgeChannel(
            settings.callback_url, settings.resolved_secret(), session
        )
        yield


async def _telegram(app: web.Application) -> AsyncIterator[None]:
    # Before the delivery worker's context: started before it, stopped after it.
    await app[TELEGRAM].start()
    yield
    await app[TELEGRAM].stop()


class MetaCursor:
    """A position in a sidecar's event stream, kept in the store (an event id, nothing
    about anyone)."""

    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key

    async def load(self) -> str | None:
        async with self.store.read() as tx:
            return await meta.get(tx, self.key)

    async def save(self, event_id: str) -> None:
        async with self.store.tx() as tx:
            await meta.put(tx, self.key, event_id[:64])


async def _signal(app: web.Application) -> AsyncIterator[None]:
    # Before the delivery worker's context: started before it, stopped after it.
    await app[SIGNAL].start()
    yield
    await app[SIGNAL].stop()


async def _run_forever(coro_name: str, task: asyncio.Task[None]) -> AsyncIterator[None]:
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    log.info("%s stopped", coro_name)


async def _delivery_worker(app: web.Application) -> AsyncIterator[None]:
    # The worker sees channels added by earlier cleanup contexts through the shared dict.
    app[WORKER].channels = app[CHANNELS]
    store = app[STORE]
    if store.db.backend == "sqlite":
        # One process per SQLite database: a lease left by a killed predecessor is nobody's.
        async with store.tx(app[CLOCK]()) as tx:
            freed = await outbox.release_leases(tx)
        if freed:
            log.info("delivery: %s replies leased by the previous run offered again", freed)
    worker = app[WORKER]
    chat = app.get(WEBCHAT)
    handlers: dict[str, Callable[[str], None]] = {
        OUTBOX_CHANNEL: lambda _payload: worker.wake(),
        # A flow version published on another replica (or by the CLI): new conversations
        # here start on it too (bot/conversation/flows.py keeps the published version).
        notify.FLOWS_CHANNEL: lambda _payload: store.flow_publications.bump(),
    }
    if chat is not None:
        # A delivery on another replica for a page whose socket is here: it is pushed here.
        handlers[WEBCHAT_CHANNEL] = lambda payload: chat.relayed(*payload.split(":", 1))
    console = app.get(CONSOLE)
    if console is not None:
        live = console.live
        handlers[notify.CONSOLE_CHANNEL] = live.relayed
        if not store.db.is_sqlite:

            async def relay_console(payload: str) -> None:
                await notify.publish(store.db, notify.CONSOLE_CHANNEL, payload)

            live.relay = relay_console

    reloads: set[asyncio.Task[None]] = set()

    def reload_texts(_payload: str = "") -> None:
        task = asyncio.create_task(ui_texts.reload(store), name="ui-texts-reload")
        reloads.add(task)  # held until done: a bare task may be collected mid-way
        task.add_done_callback(reloads.discard)

    handlers[notify.UI_TEXTS_CHANNEL] = reload_texts

    def catch_up() -> None:
        worker.wake()
        reload_texts()
        store.flow_publications.bump()  # a publication may have gone unheard meanwhile
        if chat is not None:
            chat.catch_up_all()
        if console is not None:
            console.live.nudge()  # tabs here fetch what they may have missed

    listener = Listener(store.db, handlers, on_reconnect=catch_up)
    await listener.start()
    task = asyncio.create_task(app[WORKER].run(), name="delivery-worker")
    app[HEALTH].add("delivery worker", lambda: not task.done())
    app[HEALTH].add("replica listener", listener.alive)
    yield
    app[HEALTH].remove("delivery worker")
    app[HEALTH].remove("replica listener")
    # Let a round in progress finish: cancelling between send and commit would offer those
    # replies again after the next start.
    app[WORKER].stop()
    try:
        await asyncio.wait_for(task, timeout=10)
    except TimeoutError:
        log.warning("delivery worker did not finish its round in time; stopped it")
    await listener.stop()


async def _code_pool(app: web.Application) -> AsyncIterator[None]:
    """Case codes and their Argon2id keys made ahead (storage/case_material.py), so that
    even the first handover does not derive one while it holds the database's writer."""
    store = app[STORE]
    store.codes.refill(store.kdf)
    yield
    await store.codes.close()


async def _metrics(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async for _ in metrics_http.serve_metrics(
        app[STORE],
        app[CLOCK],
        ZoneInfo(settings.office_timezone),
        settings.metrics.host,
        settings.metrics.port,
    ):
        yield


async def _office_config(app: web.Application) -> AsyncIterator[None]:
    """Read the console's settings at start, then every REFRESH_SECONDS, so this replica
    follows a change saved on another one."""
    config = app[OFFICE_CONFIG]
    await config.refresh()

    async def refresh() -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await config.refresh()
            except Exception:
                log.exception("reading the office settings failed; will try again")

    task = asyncio.create_task(refresh(), name="office-config")
    async for _ in _run_forever("office settings refresher", task):
        yield


async def _ui_texts(app: web.Application) -> AsyncIterator[None]:
    """The translations admins imported, at start and then every REFRESH_SECONDS (PostgreSQL
    replicas also reload at once when told, see `_delivery_worker`)."""
    store = app[STORE]
    await ui_texts.reload(store)

    async def refresh() -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await ui_texts.reload(store)
            except Exception:
                log.exception("reading the imported translations failed; will try again")

    task = asyncio.create_task(refresh(), name="ui-texts")
    async for _ in _run_forever("translations refresher", task):
        yield


async def run_housekeeping(app: web.Application, now: datetime) -> housekeeping.Swept:
    """One sweep with the retention period in force right now (re-read first: an admin may
    have changed it on another replica since the last refresh)."""
    effective = await app[OFFICE_CONFIG].refresh()
    swept = await housekeeping.sweep(
        app[STORE],
        idle_hours=app[SETTINGS].state_idle_hours,
        retention_days=effective.retention_days,
        now=now,
    )
    await app[SERVICE].forget_in_driver(swept.pseudonyms)  # Rasa's copies go with the cases
    return swept


async def _idle_sweeper(app: web.Application) -> AsyncIterator[None]:
    async def sweep() -> None:
        while True:
            try:
                await run_housekeeping(app, app[CLOCK]())
            except Exception:
                log.exception("housekeeping failed; will try again")
            await asyncio.sleep(SWEEP_INTERVAL_SECONDS)

    task = asyncio.create_task(sweep(), name="idle-sweeper")
    async for _ in _run_forever("idle sweeper", task):
        yield


def console_url(settings: Settings) -> str | None:
    """The console's public address for alerts; None unless configured (a guessed
    http://HOST:PORT would be wrong behind a proxy and useless outside the office)."""
    if not settings.console.enabled or not settings.console.public_url:
        return None
    return settings.console.public_url.rstrip("/") + "/console"


async def _new_case_alerts(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    notifications = settings.notifications
    async with aiohttp.ClientSession() as session:
        alerts = NewCaseAlerts(
            app[STORE],
            configured_senders(notifications, session, app[CLOCK]),
            console_url=console_url(settings),
            clock=app[CLOCK],
            poll_seconds=notifications.poll_seconds,
            min_interval_seconds=notifications.min_interval_seconds,
        )
        task = asyncio.create_task(alerts.run(), name="new-case-alerts")
        yield
        # Let a round in progress finish (and save its cursor), or an alert already sent
        # would be sent again after the restart.
        alerts.stop()
        try:
            await asyncio.wait_for(task, timeout=30)
        except TimeoutError:
            log.warning("new-case alerts did not finish their round in time; stopped them")
        log.info("new-case alerts stopped")


async def index(request: web.Request) -> web.StreamResponse:
    if request.app[SETTINGS].webchat.enabled:
        raise web.HTTPFound("/chat")
    return web.Response(text="Anlaufstelle is running.", content_type="text/plain")
