"""The language policy with real Rasa trackers, the project's domain and Rasa's own policy ensemble."""
import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet, UserUttered

from orienta_rasa.language_policy import ConversationLanguagePolicy
from tests.rasa_plugins.trackers import listening_tracker


@pytest.fixture
def policy(new_policy):
    return new_policy(ConversationLanguagePolicy)


def said(text, intent="greet", language="und", confidence=0.9, entities=(), metadata=None):
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": list(entities), "text": text,
             "language": language}
    return UserUttered(text, parse["intent"], list(entities), parse, metadata=metadata)


def test_a_detected_language_is_set_and_nothing_is_predicted(policy, domain):
    t = listening_tracker(domain, said("dzień dobry", language="pl"))
    prediction = policy.predict_action_probabilities(t, domain)
    assert max(prediction.probabilities) == 0
    assert prediction.events == [SlotSet("language", "pl")]


def test_nothing_is_added_once_the_slots_agree(policy, domain):
    t = listening_tracker(domain, SlotSet("language", "pl"), ActionExecuted("action_listen"), said("ok"))
    assert policy.predict_action_probabilities(t, domain).events == []
    t = listening_tracker(domain, said("dzień dobry", language="pl"), SlotSet("language", "pl"),
                          ActionExecuted("utter_greet"))
    assert policy.predict_action_probabilities(t, domain).events == []  # the same turn, after its first action


def test_an_explicit_request_is_recorded_as_the_learners_choice(policy, domain):
    request = said("switch to Lithuanian", "change_language", "en", entities=[{"entity": "language", "value": "lt"}])
    events = policy.predict_action_probabilities(listening_tracker(domain, request), domain).events
    assert events == [SlotSet("language", "lt"), SlotSet("language_chosen", True)]


def test_the_page_language_comes_from_the_messages_metadata(policy, domain):
    t = listening_tracker(domain, said("hello", language="en", metadata={"language": "ro-RO"}))
    assert policy.predict_action_probabilities(t, domain).events == [SlotSet("language", "ro")]


def test_after_a_restart_nothing_is_set_until_the_learner_speaks(policy, domain):
    t = listening_tracker(domain, said("dzień dobry", language="pl"), SlotSet("language", "pl"), Restarted())
    assert policy.predict_action_probabilities(t, domain).events == []


def test_the_ensemble_keeps_the_events_and_the_other_policys_action(policy, domain):
    t = listening_tracker(domain, said("labas", language="lt"))
    rule = PolicyPrediction.for_action_name(domain, "utter_greet", "RulePolicy")
    ours = policy.predict_action_probabilities(t, domain)
    best = DefaultPolicyPredictionEnsemble().combine_predictions_from_kwargs(t, domain, a=rule, b=ours)
    assert domain.action_names_or_texts[best.max_confidence_index] == "utter_greet"
    assert SlotSet("language", "lt") in best.events
