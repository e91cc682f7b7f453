"""Every `web.AppKey` of the service: typed slots the app factory fills and the pages read.

In their own module so the console and the chat pages can name them without importing the
app factory back (which imports them to register their routes).
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from bot.channels import signal, telegram, webchat
from bot.channels.base import Channel
from bot.clock import Clock
from bot.console.core import Console
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from bot.office.config import OfficeConfig
from bot.probes import Probes
from bot.settings import Settings
from storage.store import Store

SETTINGS = web.AppKey("settings", Settings)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
STORE = web.AppKey("store", Store)
SERVICE = web.AppKey("service", ConversationService)
WORKER = web.AppKey("worker", DeliveryWorker)
CHANNELS: web.AppKey[dict[str, Channel]] = web.AppKey("channels")
WEBCHAT = web.AppKey("webchat", webchat.WebChatChannel)
WEBCHAT_LIMITS = web.AppKey("webchat_limits", webchat.Limits)
TELEGRAM = web.AppKey("telegram", telegram.TelegramRuntime)
SIGNAL = web.AppKey("signal", signal.SignalRuntime)
OFFICE_CONFIG = web.AppKey("office_config", OfficeConfig)
CONSOLE: Final = web.AppKey("console", Console)
HEALTH = web.AppKey("health", Probes)
