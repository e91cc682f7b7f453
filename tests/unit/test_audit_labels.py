"""Every action the service writes to the audit log has a German label on the admins' page
(no raw key like `flow.rolled_back` in the Protokoll)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.console.audit_page import ACTIONS

ROOT = Path(__file__).resolve().parents[2]
RECORD = re.compile(r"audit\.record\((.*?)\)\s*\n", re.S)
ACTION = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for source in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("storage/**/*.py")]:
        for call in RECORD.finditer(source.read_text(encoding="utf-8")):
            found.update(ACTION.findall(call.group(1)))
    return found


def test_every_recorded_action_has_a_german_label() -> None:
    actions = recorded_actions()
    assert {"case.viewed", "login.ok", "flow.published"} <= actions  # the scan finds them
    assert sorted(actions - set(ACTIONS)) == []
