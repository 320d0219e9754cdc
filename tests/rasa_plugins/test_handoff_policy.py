"""The pause policy, with real Rasa trackers and the project's domain."""
import pytest
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from orienta_rasa.handoff_policy import HandoffPausePolicy
from tests.rasa_plugins.trackers import listening_tracker


@pytest.fixture
def policy(new_policy):
    return new_policy(HandoffPausePolicy)


def predicted(prediction: PolicyPrediction, domain):
    if max(prediction.probabilities) == 0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_it_abstains_when_no_handoff_is_open(policy, domain):
    t = listening_tracker(domain, UserUttered("hi", {"name": "greet"}))
    assert predicted(policy.predict_action_probabilities(t, domain), domain) is None


def test_while_paused_every_message_gets_the_status_then_the_bot_listens(policy, domain):
    t = listening_tracker(domain, SlotSet("handoff_id", "H-ABC234"), ActionExecuted("action_listen"),
                          UserUttered("find me a course", {"name": "find_course"}))
    prediction = policy.predict_action_probabilities(t, domain)
    assert predicted(prediction, domain) == "action_handoff_status"
    assert prediction.policy_priority > 4  # above the RulePolicy, whose rules would answer the intent
    t.update(ActionExecuted("action_handoff_status"))
    assert predicted(policy.predict_action_probabilities(t, domain), domain) == "action_listen"


def test_restart_still_works_while_paused(policy, domain):
    t = listening_tracker(domain, SlotSet("handoff_id", "H-ABC234"), ActionExecuted("action_listen"),
                          UserUttered("/restart", {"name": "restart"}))
    assert predicted(policy.predict_action_probabilities(t, domain), domain) is None
