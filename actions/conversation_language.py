"""Keeps the `language` slot right after every user message (rules: orienta/conversation_language.py)."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from orienta.conversation_language import CHOSEN_SLOT, LANGUAGE_SLOT, resolve_language


class ActionResolveLanguage(Action):
    """The custom slot mapping of `language` and `language_chosen`: Rasa runs it after every user message."""

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
