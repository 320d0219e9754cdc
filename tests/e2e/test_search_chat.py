"""End to end: course search over REST on the shipped sample catalogue, in every language."""
import json
import re

import pytest
from babel.support import Translations

from orienta.languages import locales_dir, supported_languages

pytestmark = pytest.mark.e2e
# Heat-pump offers of the sample catalogue, whatever their language (ids keep the provider's words).
HEAT_PUMP_OFFER = re.compile(r"pomp|crpalk|siurbl|heat-pump")

# (a search for heat-pump courses, "only online", "I want a course", an answer to "what about?")
CONVERSATIONS = {
    "en": ("any courses on installing heat pumps?", "only online ones", "I'd like to take a course", "AutoCAD"),
    "ro": ("caut un curs despre pompe de căldură", "doar online", "aș vrea să urmez un curs", "AutoCAD"),
    "pl": ("szukam kursu montażu pomp ciepła", "tylko zdalnie", "chciałbym zrobić jakiś kurs", "AutoCAD"),
    "sl": ("iščem tečaj o toplotnih črpalkah", "samo na daljavo", "rad bi se vpisal na kakšen tečaj", "AutoCAD"),
    "lt": ("ieškau šilumos siurblių montavimo kursų", "tik nuotoliniu būdu", "norėčiau pasirinkti kokį nors kursą",
           "AutoCAD"),
}


def prefix(language, message_id):
    """The translated message up to its first placeholder."""
    return Translations.load(str(locales_dir()), [language], "orienta").gettext(message_id).split("{")[0]


def payloads(messages):
    return [button["payload"] for message in messages for button in message.get("buttons", [])]


def test_every_language_has_a_search_conversation():
    assert set(CONVERSATIONS) == set(supported_languages())


@pytest.mark.parametrize("language", sorted(CONVERSATIONS))
def test_search_refine_and_details_in_the_learners_language(stack, language):
    sender = f"search-{language}"
    search, only_online, _, _ = CONVERSATIONS[language]
    found = stack.say(sender, search, language=language)
    assert found[0]["text"].startswith(prefix(language, "search.found")), found
    details = [json.loads("{" + p.split("{", 1)[1])["offer_id"]
               for p in payloads(found) if p.startswith("/explain_offer")]
    assert HEAT_PUMP_OFFER.search(details[0]), details
    assert any(m.get("custom", {}).get("type") == "offer_cards" for m in found)

    refined = stack.say(sender, only_online)
    assert refined[0]["text"].startswith(prefix(language, "search.found")), refined
    assert prefix(language, "mode.online") in refined[0]["text"]  # the filters in force are named

    described = stack.say(sender, f'/explain_offer{{"offer_id": "{details[0]}"}}')
    assert described[0]["text"].startswith(prefix(language, "offer.label.title") + ":"), described
    assert prefix(language, "offer.label.learning_outcomes") in described[0]["text"]


@pytest.mark.parametrize("language", sorted(CONVERSATIONS))
def test_a_vague_request_gets_one_clarifying_question(stack, language):
    sender = f"vague-{language}"
    _, _, vague, answer = CONVERSATIONS[language]
    asked = stack.say(sender, vague, language=language)
    assert [m["text"] for m in asked] == [prefix(language, "search.ask_subject")], asked
    found = stack.say(sender, answer)
    assert found[0]["text"].startswith(prefix(language, "search.found")), found
    assert any("autocad" in json.dumps(m, ensure_ascii=False).lower() for m in found[1:])
