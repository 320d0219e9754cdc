"""Pauses the bot while a counsellor has the conversation.

When the `handoff_id` slot holds an open request, every learner message is
answered by `action_handoff_status` (the message stays in the tracker for the
counsellor), whatever its intent, except `/restart`. The slot is cleared by
`action_handoff_ended`, which the handoff worker runs when a counsellor
resolves the request or the pause times out. Rasa's own pause
(`ConversationPaused`) would leave the learner without any answer.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME, USER_INTENT_RESTART
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from orienta_rasa.untrained_policy import UntrainedPolicy

HANDOFF_SLOT = "handoff_id"
STATUS_ACTION = "action_handoff_status"


def paused_reply(tracker: DialogueStateTracker) -> Optional[str]:
    """The action to run now if the bot is paused for a handoff (then listen again), else None."""
    if tracker.latest_action_name == STATUS_ACTION:
        return ACTION_LISTEN_NAME
    if not tracker.get_slot(HANDOFF_SLOT) or tracker.latest_action_name != ACTION_LISTEN_NAME:
        return None
    if tracker.latest_message is None or tracker.latest_message.intent.get("name") == USER_INTENT_RESTART:
        return None
    return STATUS_ACTION


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class HandoffPausePolicy(UntrainedPolicy):
    """Outranks the rules (priority) only while a handoff is open; abstains otherwise."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1}

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = paused_reply(tracker)
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
