"""The handoff actions with a real Tracker and CollectingDispatcher, a real store, a fake webhook receiver."""
import asyncio

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.human_handoff as handoff_actions
from actions.human_handoff import (ActionHandoffEnded, ActionHandoffStatus, ActionRequestHandoff,
                                   ValidateHandoffForm)
from orienta.handoff.config import HandoffSettings
from orienta.handoff.store import HandoffStore

DOMAIN = {"intents": ["greet", "recognition", "definition", "find_course", "human_handoff", "affirm", "deny"]}


@pytest.fixture
def posts(tmp_path, monkeypatch):
    received = []

    def receiver(request):
        received.append(request.read().decode())
        return httpx.Response(200)

    url = f"sqlite:///{tmp_path / 'handoff.db'}"
    settings = HandoffSettings(database_url=url, webhook_url="http://hooks.test/x", webhook_format="mattermost")
    monkeypatch.setattr(handoff_actions, "_desk_parts", {
        "settings": settings, "store": HandoffStore(url),
        "client": httpx.Client(transport=httpx.MockTransport(receiver))})
    return received


def tracker(text, intent="nlu_fallback", language="sl", events=(), **slots):
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return Tracker("learner-7", {"language": language, **slots}, message, list(events), False, None,
                   {"name": "handoff_form"}, "action_listen")


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    if isinstance(action, ValidateHandoffForm):
        slot = tracker_.slots["requested_slot"]
        result = asyncio.run(getattr(action, f"validate_{slot}")(tracker_.slots.get(slot), dispatcher, tracker_, DOMAIN))
    else:
        result = asyncio.run(action.run(dispatcher, tracker_, DOMAIN))
    return dispatcher.messages, result


def test_a_contact_is_read_in_the_learners_language_and_a_bad_one_asked_again(posts):
    form = ValidateHandoffForm()
    _, slots = run(form, tracker("pišite mi na maja@example.si", requested_slot="handoff_contact",
                                 handoff_contact="pišite mi na maja@example.si"))
    assert slots == {"handoff_contact": "email:maja@example.si"}
    _, slots = run(form, tracker("tukaj v klepetu", requested_slot="handoff_contact", handoff_contact="tukaj v klepetu"))
    assert slots == {"handoff_contact": "chat:"}
    messages, slots = run(form, tracker("jutri", requested_slot="handoff_contact", handoff_contact="jutri"))
    assert slots == {"handoff_contact": None} and "e-poštnega naslova" in messages[0]["text"]


def test_no_at_the_contact_question_withdraws_consent_and_ends_the_form(posts):
    _, slots = run(ValidateHandoffForm(), tracker("ne hvala", intent="deny", requested_slot="handoff_contact",
                                                   handoff_contact="ne hvala"))
    assert slots == {"handoff_consent": False, "handoff_contact": None}
    required = asyncio.run(ValidateHandoffForm().required_slots(
        [], CollectingDispatcher(), tracker("", handoff_consent=False), DOMAIN))
    assert required == []


def test_declining_shares_nothing(posts):
    messages, events = run(ActionRequestHandoff(), tracker("ne", handoff_consent=False))
    assert "ničesar nisem posredoval" in messages[0]["text"] and posts == []
    assert SlotSet("handoff_id", None) not in events and all(e["value"] is None for e in events)


def test_the_request_is_stored_notified_and_pauses_the_bot_until_resolved(posts):
    history = [{"event": "user", "text": "kako priznajo", "parse_data": {"intent": {"name": "recognition"}}}]
    messages, events = run(ActionRequestHandoff(), tracker("maja@example.si", events=history, handoff_consent=True,
                                                          handoff_contact="email:maja@example.si"))
    reference = next(e["value"] for e in events if e["name"] == "handoff_id")
    assert reference.startswith("H-") and reference in messages[0]["text"] and "maja@example.si" in messages[0]["text"]
    assert len(posts) == 1 and reference in posts[0] and "Recognition" in posts[0]
    assert {e["name"] for e in events} == {"handoff_consent", "handoff_contact", "handoff_id"}

    messages, events = run(ActionHandoffStatus(), tracker("halo?", handoff_id=reference))
    assert reference in messages[0]["text"] and events == []

    handoff_actions._desk_parts["store"].resolve(reference, by="counsellor", note=None)
    messages, events = run(ActionHandoffEnded(), tracker("", handoff_id=reference))
    assert "zaključil vašo prošnjo" in messages[0]["text"]
    assert events == [SlotSet("handoff_id", None), ActionExecuted("action_listen")]
    # Run again (nothing to end), it says nothing and the bot still listens for the learner's next message.
    assert run(ActionHandoffEnded(), tracker("")) == ([], [ActionExecuted("action_listen")])


def test_a_broken_store_gives_a_localized_apology_and_the_bot_comes_back(posts, monkeypatch):
    class Broken:
        def get(self, reference):
            raise RuntimeError("database is gone")

    monkeypatch.setitem(handoff_actions._desk_parts, "store", Broken())
    messages, events = run(ActionHandoffStatus(), tracker("halo?", handoff_id="H-XXXXXX"))
    assert "Oprostite" in messages[0]["text"] and events == [SlotSet("handoff_id", None)]
