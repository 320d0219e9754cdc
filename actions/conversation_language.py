"""Which language the conversation continues in, after the learner's latest message."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from orienta.languages import default_language, normalize_language

LANGUAGE_SLOT = "language"
CHANGE_LANGUAGE_INTENT = "change_language"


def requested_language(intent: Optional[str], entities: Iterable[Dict[str, Any]]) -> Optional[str]:
    """The supported language a `change_language` request names, if any."""
    if intent != CHANGE_LANGUAGE_INTENT:
        return None
    for entity in entities or []:
        if entity.get("entity") == "language":
            code = normalize_language(entity.get("value"))
            if code:
                return code
    return None


def resolve_language(current: Optional[str], latest_message: Dict[str, Any]) -> str:
    """Explicit request > page/channel metadata > confident detection > current > default.

    An explicit "switch to Polish" wins over the page's language because the
    learner asked; the page's `metadata.language` wins over text detection
    because short messages are often ambiguous; an unclear message ("ok",
    "AutoCAD") keeps the language the conversation already has.
    """
    message = latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    metadata = message.get("metadata") or {}
    return (
        requested_language(intent, message.get("entities") or [])
        or normalize_language(metadata.get("language"))
        or normalize_language(message.get("language"))
        or normalize_language(current)
        or default_language()
    )


class ActionResolveLanguage(Action):
    """Runs after every user message (custom slot mapping) and keeps the `language` slot right."""

    def name(self) -> str:
        return "action_resolve_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        current = tracker.get_slot(LANGUAGE_SLOT)
        language = resolve_language(current, tracker.latest_message)
        return [] if language == current else [SlotSet(LANGUAGE_SLOT, language)]
