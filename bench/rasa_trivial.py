"""The baseline's only action, for rasa-sdk's own server (`python -m rasa_sdk --actions`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action


class TrivialAction(Action):  # type: ignore[misc]  # rasa-sdk ships no type hints
    def name(self) -> str:
        return "action_trivial"

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        return []
