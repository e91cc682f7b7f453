# ruff: noqa: RUF001  # texts for people in their own scripts
"""Lines every messenger adapter appends to its first-contact notice (Telegram, Signal): the
web chat as the more private way, the office's privacy notice and imprint. One text each, so
the channels never say them differently."""

from __future__ import annotations

from typing import Final

LINKS: Final[dict[str, dict[str, str]]] = {
    "privacy_link": {
        "de": "\nDatenschutzerklärung: {url}",
        "ls": "\nMehr zum Daten-Schutz: {url}",
        "en": "\nPrivacy notice: {url}",
        "ar": "\nإشعار الخصوصية: {url}",
        "tr": "\nGizlilik bildirimi: {url}",
        "uk": "\nПовідомлення про захист даних: {url}",
        "ru": "\nУведомление о защите данных: {url}",
        "pl": "\nInformacja o ochronie danych: {url}",
        "fa": "\nاطلاعیه حریم خصوصی: {url}",
    },
    "imprint_link": {
        "de": "\nImpressum: {url}",
        "ls": "\nWer ist für den Chat verantwortlich? {url}",
        "en": "\nImprint: {url}",
        "ar": "\nبيانات الناشر: {url}",
        "tr": "\nKünye: {url}",
        "uk": "\nВихідні дані: {url}",
        "ru": "\nВыходные данные: {url}",
        "pl": "\nStopka redakcyjna: {url}",
        "fa": "\nمشخصات ناشر: {url}",
    },
    "webchat_link": {
        "de": "\nWeb-Chat: {url}",
        "ls": "\nChat im Internet: {url}",
        "en": "\nWeb chat: {url}",
        "ar": "\nالمحادثة على الموقع: {url}",
        "tr": "\nWeb sohbeti: {url}",
        "uk": "\nВебчат: {url}",
        "ru": "\nВеб-чат: {url}",
        "pl": "\nCzat na stronie: {url}",
        "fa": "\nگفتگوی وب‌سایت: {url}",
    },
}
