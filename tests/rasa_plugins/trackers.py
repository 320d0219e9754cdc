"""Trackers for the policy tests."""
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker


def listening_tracker(domain, *events):
    """A conversation in which the bot listened, then `events` happened."""
    return DialogueStateTracker.from_events("learner", [ActionExecuted("action_listen"), *events], domain.slots)
