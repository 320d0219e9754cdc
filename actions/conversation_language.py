"""Which language the conversation continues in, after the learner's latest message."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, NamedTuple, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from orienta.languages import default_language, normalize_language

LANGUAGE_SLOT = "language"
CHOSEN_SLOT = "language_chosen"  # the learner asked for this language explicitly
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


class LanguageChoice(NamedTuple):
    language: str
    chosen_by_learner: bool


def resolve_language(
    current: Optional[str], chosen_by_learner: bool, latest_message: Dict[str, Any]
) -> LanguageChoice:
    """The language to answer in after `latest_message`.

    In order: an explicit request in this message ("switch to Polish"); a
    language the learner chose earlier (it outranks the page and detection, so
    the choice sticks); the page's or channel's `metadata.language`; the
    language detected from the text; the current language (an unclear message
    such as "ok" or "AutoCAD" keeps it); the default language.
    """
    message = latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    requested = requested_language(intent, message.get("entities") or [])
    if requested:
        return LanguageChoice(requested, True)
    current = normalize_language(current)
    if current and chosen_by_learner:
        return LanguageChoice(current, True)
    metadata = message.get("metadata") or {}
    language = (
        normalize_language(metadata.get("language"))
        or normalize_language(message.get("language"))
        or current
        or default_language()
    )
    return LanguageChoice(language, False)


class ActionResolveLanguage(Action):
    """Runs after every user message (custom slot mapping) and keeps the `language` slot right."""

    def name(self) -> str:
        return "action_resolve_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        current = tracker.get_slot(LANGUAGE_SLOT)
        chosen = bool(tracker.get_slot(CHOSEN_SLOT))
        choice = resolve_language(current, chosen, tracker.latest_message)
        events: List[EventType] = []
        if choice.language != current:
            events.append(SlotSet(LANGUAGE_SLOT, choice.language))
        if choice.chosen_by_learner != chosen:
            events.append(SlotSet(CHOSEN_SLOT, choice.chosen_by_learner))
        return events
