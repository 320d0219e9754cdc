"""Rasa's check of action server answers, with the validator compiled once."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from orienta_rasa import action_validation
from orienta_rasa.action_guard import ActionGuardInput

PRISTINE = RemoteAction._validate_action_result  # collected before any test installs the compiled one
GOOD = {"events": [{"event": "slot", "name": "language", "value": "pl", "timestamp": None}],
        "responses": [{"text": "Cześć", "buttons": [{"title": "Tak", "payload": "/affirm"}]}]}


@pytest.fixture
def action(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", PRISTINE)
    return RemoteAction("action_resolve_language", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_it_accepts_and_refuses_what_rasas_own_check_does(action):
    original = RemoteAction._validate_action_result
    bad = {"events": "not a list"}
    assert original(action, GOOD) is True
    with pytest.raises(ValidationError) as rasa_error:
        original(action, bad)
    action_validation.install()
    assert RemoteAction._validate_action_result is not original
    assert action._validate_action_result(GOOD) is True
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(bad)
    assert ours.value.message == rasa_error.value.message


def test_loading_the_action_guard_installs_it_once(action):
    ActionGuardInput.from_credentials({"url": "http://127.0.0.1:1/webhook", "token": "t"})
    installed = RemoteAction._validate_action_result
    assert installed.compiled
    ActionGuardInput.from_credentials({"url": "http://127.0.0.1:1/webhook", "token": "t"})
    assert RemoteAction._validate_action_result is installed
