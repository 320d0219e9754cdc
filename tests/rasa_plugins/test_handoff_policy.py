"""The pause policy, with real Rasa trackers and the project's domain."""
from pathlib import Path

import pytest
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from orienta_rasa.handoff_policy import HandoffPausePolicy

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(DOMAIN_DIR))


@pytest.fixture
def policy(tmp_path):
    storage = LocalModelStorage(tmp_path)
    return HandoffPausePolicy.create(HandoffPausePolicy.get_default_config(), storage, Resource("handoff"),
                                     ExecutionContext(GraphSchema({}), "test"))


def tracker(domain, *events):
    return DialogueStateTracker.from_events("learner", [ActionExecuted("action_listen"), *events], domain.slots)


def predicted(prediction: PolicyPrediction, domain):
    if max(prediction.probabilities) == 0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_it_abstains_when_no_handoff_is_open(policy, domain):
    t = tracker(domain, UserUttered("hi", {"name": "greet"}))
    assert predicted(policy.predict_action_probabilities(t, domain), domain) is None


def test_while_paused_every_message_gets_the_status_then_the_bot_listens(policy, domain):
    t = tracker(domain, SlotSet("handoff_id", "H-ABC234"), ActionExecuted("action_listen"),
                UserUttered("find me a course", {"name": "find_course"}))
    prediction = policy.predict_action_probabilities(t, domain)
    assert predicted(prediction, domain) == "action_handoff_status"
    assert prediction.policy_priority > 4  # above the RulePolicy, whose rules would answer the intent
    t.update(ActionExecuted("action_handoff_status"))
    assert predicted(policy.predict_action_probabilities(t, domain), domain) == "action_listen"


def test_restart_still_works_while_paused(policy, domain):
    t = tracker(domain, SlotSet("handoff_id", "H-ABC234"), ActionExecuted("action_listen"),
                UserUttered("/restart", {"name": "restart"}))
    assert predicted(policy.predict_action_probabilities(t, domain), domain) is None
