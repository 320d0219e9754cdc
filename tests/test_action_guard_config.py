"""endpoints.yml and credentials.yml agree on the action guard (orienta/action_guard.py)."""
from orienta.action_guard import CHANNEL_CLASS, ROUTE, action_endpoint_config, action_guard_channel
from orienta.credentials import render_credentials
from orienta.endpoints import render_endpoints
from orienta.settings import Settings

ENV = {"ORIENTA_API_TOKEN": "s3cret", "ORIENTA_RASA_PORT": "6005", "ORIENTA_ACTIONS_PORT": "6055"}


def test_with_a_token_rasa_calls_the_guard_which_calls_the_action_server():
    endpoint = render_endpoints(Settings.from_env(ENV))["action_endpoint"]
    assert endpoint == {"url": f"http://127.0.0.1:6005{ROUTE}", "headers": {"Authorization": "Bearer s3cret"}}
    assert render_credentials(ENV)[CHANNEL_CLASS] == {"url": "http://127.0.0.1:6055/webhook", "token": "s3cret",
                                                       "timeout": 120.0}


def test_the_guard_forwards_to_the_action_url_override_with_its_timeout():
    env = dict(ENV, ORIENTA_ACTIONS_URL="http://actions.internal/webhook", ORIENTA_ACTIONS_TIMEOUT="5")
    assert action_guard_channel(env) == (CHANNEL_CLASS, {"url": "http://actions.internal/webhook", "token": "s3cret",
                                                         "timeout": 5.0})


def test_without_a_token_rasa_calls_the_action_server_directly():
    assert action_endpoint_config(Settings.from_env({})) == {"url": "http://127.0.0.1:5055/webhook"}
    assert action_guard_channel({}) is None
    assert CHANNEL_CLASS not in render_credentials({})
