"""Faults with real processes: the action server killed and started again, the Rasa server killed mid-conversation."""
import json

import pytest
from babel.support import Translations

from orienta.languages import locales_dir
from tests.faults.conftest import HEAT_PUMP_OFFER

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

SEARCH = "szukam kursu montażu pomp ciepła"
MORE = "pokaż więcej"
FIRST_DETAILS = "opowiedz więcej o pierwszym"
DEFINITION = "czym właściwie jest mikropoświadczenie?"


def polish(message_id):
    return Translations.load(str(locales_dir()), ["pl"], "orienta").gettext(message_id)


def prefix(message_id):
    """The Polish message up to its first placeholder."""
    return polish(message_id).split("{")[0]


def offer_ids(messages):
    """Offers the result cards link to, in order."""
    ids = []
    for message in messages:
        for button in message.get("buttons", []):
            if button["payload"].startswith("/explain_offer"):
                ids.append(json.loads("{" + button["payload"].split("{", 1)[1])["offer_id"])
    return ids


def texts(messages):
    return [m.get("text") for m in messages]


def test_action_server_down_gets_a_polish_apology_then_results_once_it_is_back(split_stack):
    sender = "faults-actions-down"
    split_stack.kill("actions")

    response = split_stack.post(sender, SEARCH, language="pl")
    assert response.status_code == 200
    assert texts(response.json()) == [polish("actions.unavailable")]  # said once, nothing else lost in silence

    # what the Rasa server answers on its own still works meanwhile
    defined = split_stack.say(sender, DEFINITION)
    assert defined and defined[0]["text"].startswith(polish("topic.definition.short")), defined

    split_stack.start("actions")
    found = split_stack.say(sender, SEARCH)
    assert found[0]["text"].startswith(prefix("search.found")), found
    assert HEAT_PUMP_OFFER.search(offer_ids(found)[0]), found
    apologies = [e for e in split_stack.tracker(sender)["events"]
                 if e["event"] == "bot" and e.get("text") == polish("actions.unavailable")]
    assert len(apologies) == 1


def test_rasa_restart_mid_conversation_keeps_the_search_and_every_event(split_stack):
    sender = "faults-rasa-restart"
    found = split_stack.say(sender, SEARCH, language="pl")
    assert found[0]["text"].startswith(prefix("search.found")), found
    first_page = offer_ids(found)
    assert first_page and HEAT_PUMP_OFFER.search(first_page[0])
    before = split_stack.tracker(sender)

    split_stack.kill("rasa")  # SIGKILL: no chance to flush anything on the way out
    split_stack.start("rasa")

    after = split_stack.tracker(sender)
    assert after["events"][:len(before["events"])] == before["events"]
    assert after["slots"] == before["slots"]

    more = split_stack.say(sender, MORE)
    assert more[0]["text"].startswith(prefix("search.found")), more
    second_page = offer_ids(more)
    assert second_page and not set(second_page) & set(first_page), (first_page, second_page)

    details = split_stack.say(sender, FIRST_DETAILS)
    assert details[0]["text"].startswith(prefix("offer.label.title") + ":"), details
    user_texts = [e["text"] for e in split_stack.tracker(sender)["events"] if e["event"] == "user"]
    assert user_texts == [SEARCH, MORE, FIRST_DETAILS]
