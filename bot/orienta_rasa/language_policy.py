"""Keeps the conversation's `language` slot right after every learner message, inside the Rasa server.

This was a custom slot-mapping action on the action server: an HTTP round trip
with the whole tracker on every turn, for a pure function of the slots and the
parsed message (orienta.conversation_language). A policy can add events to a
prediction; this one never predicts an action (zero probabilities, the lowest
priority) and only adds the `SlotSet`s when the resolution differs from the slots.
Rasa logs them after the turn's first action, which therefore reads the language
through `turn_language` (the NLG, the action server, the action guard).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.constants import POLICY_PRIORITY
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from orienta.conversation_language import CHOSEN_SLOT, LANGUAGE_SLOT, resolve_language
from orienta_rasa.untrained_policy import UntrainedPolicy


def language_events(tracker: DialogueStateTracker) -> List[Event]:
    """`SlotSet`s that bring the language slots in line with the latest learner message (none if they are)."""
    message = tracker.latest_message
    if message is None or not (message.text or message.intent_name):
        return []  # nothing said since the conversation (re)started
    current, chosen = tracker.get_slot(LANGUAGE_SLOT), bool(tracker.get_slot(CHOSEN_SLOT))
    choice = resolve_language(current, chosen, message.parse_data)
    events: List[Event] = []
    if choice.language != current:
        events.append(SlotSet(LANGUAGE_SLOT, choice.language))
    if choice.chosen_by_learner != chosen:
        events.append(SlotSet(CHOSEN_SLOT, choice.chosen_by_learner))
    return events


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class ConversationLanguagePolicy(UntrainedPolicy):
    """Abstains from every prediction; adds the language slots' events (module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {POLICY_PRIORITY: 0}  # below every other policy: a tie of zeros never goes to this one

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain), events=language_events(tracker))
