"""The office settings in effect: the settings file, overridden by what admins saved in the
console (Verwaltung → Einstellungen).

Three settings can be changed while the service runs: the office hours with their holidays,
the sites allowed to embed the web chat, and the retention period. Values typed into the
console are checked by the same pydantic models and validators as the settings file, stored
in `storage.office_settings`, and win over the file until an admin resets them.

Freshness across replicas, kept simple: the replica that saves refreshes at once; every
replica re-reads the table every `REFRESH_SECONDS` (bot.app's refresher) and before each
housekeeping sweep. So another replica follows within a minute, and no request ever waits
for the database to learn the hours or the origins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AfterValidator, TypeAdapter, ValidationError

from bot.office.hours import OfficeHours
from bot.settings import OfficeHoursSettings, RetentionDays, Settings, check_origin
from storage import audit, office_settings
from storage.office_settings import Stored
from storage.store import Store

log = logging.getLogger(__name__)

SettingKey = Literal["office_hours", "allowed_origins", "retention_days"]
KEYS: Final[tuple[SettingKey, ...]] = get_args(SettingKey)
REFRESH_SECONDS: Final = 60.0

_ORIGINS: Final = TypeAdapter(list[Annotated[str, AfterValidator(check_origin)]])
_RETENTION: Final = TypeAdapter(RetentionDays)


def is_key(value: str) -> bool:
    return value in KEYS


def validated(key: SettingKey, value: Any) -> Any:
    """`value` checked as the settings file would check it, in the JSON form it is stored in;
    pydantic's ValidationError when it is not valid."""
    if key == "office_hours":
        return OfficeHoursSettings.model_validate(value).model_dump(mode="json")
    if key == "allowed_origins":
        # dict.fromkeys: the same site typed twice is kept once, in the order given.
        return list(dict.fromkeys(_ORIGINS.validate_python(value)))
    return _RETENTION.validate_python(value)


def file_value(settings: Settings, key: SettingKey) -> Any:
    """The settings file's value of `key`, in the stored JSON form."""
    if key == "office_hours":
        return settings.office_hours.model_dump(mode="json")
    if key == "allowed_origins":
        return list(settings.webchat.allowed_origins)
    return settings.retention_days


@dataclass(frozen=True)
class Effective:
    """The values in force; `overrides` holds the ones saved in the console."""

    office_hours: OfficeHoursSettings
    schedule: OfficeHours
    allowed_origins: tuple[str, ...]
    retention_days: int
    overrides: Mapping[str, Stored] = field(default_factory=dict)


def effective(settings: Settings, stored: Mapping[str, Stored]) -> Effective:
    """The file's values with the stored ones on top. A stored value that no longer passes
    validation (a later version may check more strictly) is skipped with a warning, so the
    service still starts, with the file's value."""
    used: dict[str, Stored] = {}
    values: dict[SettingKey, Any] = {}
    for key in KEYS:
        entry = stored.get(key)
        if entry is not None:
            try:
                values[key] = validated(key, entry.value)
                used[key] = entry
                continue
            except ValidationError:
                log.warning("office setting %s in the database is invalid; using the file's", key)
        # The file's values were checked when it was loaded; not again here, because the
        # file only warns about a malformed origin (bot/web/pages.py) and must still start.
        values[key] = file_value(settings, key)
    hours = OfficeHoursSettings.model_validate(values["office_hours"])
    return Effective(
        office_hours=hours,
        schedule=hours.schedule(settings.office_timezone),
        allowed_origins=tuple(values["allowed_origins"]),
        retention_days=int(values["retention_days"]),
        overrides=used,
    )


Listener = Callable[[Effective], None]


class OfficeConfig:
    """Holds the effective values of one replica and tells its parts when they change.

    Listeners (the conversation service's office hours) are called after every refresh;
    readers that ask on each use (the web chat's origin check) call `allowed_origins`.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.current = effective(settings, {})
        """Until the first `refresh`: the file's values (nothing read from the database yet)."""
        self._listeners: list[Listener] = []

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)
        listener(self.current)

    def allowed_origins(self) -> Sequence[str]:
        return self.current.allowed_origins

    async def refresh(self) -> Effective:
        async with self.store.read() as tx:
            stored = await office_settings.all_settings(tx)
        self.current = effective(self.settings, stored)
        for listener in self._listeners:
            listener(self.current)
        return self.current

    async def save(self, key: SettingKey, value: Any, actor: str, now: datetime) -> None:
        """Store `value` (validate it first with `validated`) and apply it on this replica.
        The audit entry names the key only: the values are in the table itself."""
        async with self.store.tx(now) as tx:
            await office_settings.put(tx, key, value, actor)
            await audit.record(tx, actor, "settings.changed", detail=key)
        await self.refresh()

    async def reset(self, key: SettingKey, actor: str, now: datetime) -> bool:
        """Go back to the settings file's value; False when the console had not changed it."""
        async with self.store.tx(now) as tx:
            removed = await office_settings.remove(tx, key)
            if removed:
                await audit.record(tx, actor, "settings.reset", detail=key)
        await self.refresh()
        return removed
