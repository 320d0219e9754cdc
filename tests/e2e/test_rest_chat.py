"""End to end: both servers started by scripts/run.sh, chatting over Rasa's REST channel."""
import httpx
import pytest
from babel.support import Translations

from orienta.languages import locales_dir, supported_languages

pytestmark = pytest.mark.e2e

# Messages the NLU has never seen in training, one per language and topic.
UNSEEN = {
    "en": {"greet": "hey there, good morning", "definition": "so what is a micro credential actually?",
           "out_of_scope": "what will the weather be like in Paris tomorrow?"},
    "ro": {"greet": "bună ziua, salutare", "definition": "ce anume este o microcredențială?",
           "out_of_scope": "ce vreme va fi mâine la București?"},
    "pl": {"greet": "dzień dobry, witam serdecznie", "definition": "czym właściwie jest mikropoświadczenie?",
           "out_of_scope": "jaka będzie jutro pogoda w Krakowie?"},
    "sl": {"greet": "dober dan, pozdravljeni", "definition": "kaj pravzaprav je mikrodokazilo?",
           "out_of_scope": "kakšno bo jutri vreme v Ljubljani?"},
    "lt": {"greet": "laba diena, sveiki", "definition": "kas iš tikrųjų yra mikrokredencialas?",
           "out_of_scope": "koks rytoj bus oras Vilniuje?"},
}
RESPONSE_OF = {"greet": "greet", "definition": "topic.definition.short", "out_of_scope": "out_of_scope"}


def catalog(language):
    return Translations.load(str(locales_dir()), [language], "orienta")


def test_languages_under_test_are_the_supported_ones():
    assert set(UNSEEN) == set(supported_languages())


@pytest.mark.parametrize("language", sorted(UNSEEN))
def test_parse_returns_topic_and_language_for_unseen_messages(stack, language):
    for topic, text in UNSEEN[language].items():
        result = stack.parse(text)
        assert result["intent"]["name"] == topic, (text, result["intent"])
        assert result["language"] == language, (text, result["language_ranking"])


@pytest.mark.parametrize("language", sorted(UNSEEN))
def test_conversation_is_answered_in_the_learners_language(stack, language):
    expected = catalog(language)
    sender = f"learner-{language}"
    for topic, text in UNSEEN[language].items():
        replies = stack.say(sender, text)
        assert replies, (language, text)
        assert replies[0]["text"].startswith(expected.gettext(RESPONSE_OF[topic])), (language, text, replies)
    definition = stack.say(sender, UNSEEN[language]["definition"])
    assert expected.gettext("topic.definition.source") in definition[0]["text"]
    assert definition[0]["buttons"][0]["payload"] == '/tell_me_more{"topic":"definition"}'


def test_tell_me_more_button_gives_the_fuller_answer(stack):
    stack.say("learner-more", UNSEEN["pl"]["definition"])
    replies = stack.say("learner-more", '/tell_me_more{"topic":"definition"}')
    assert replies[0]["text"].startswith(catalog("pl").gettext("topic.definition.more"))


def test_page_language_metadata_sets_the_language(stack):
    replies = stack.say("learner-page", "/greet", language="lt-LT")
    assert replies[0]["text"] == catalog("lt").gettext("greet")


def test_change_language_switches_and_sticks(stack):
    stack.say("learner-switch", UNSEEN["en"]["greet"])
    switched = stack.say("learner-switch", "could we continue in Slovenian please?")
    assert switched[0]["text"].startswith(catalog("sl").gettext("language_switched").split("{")[0])
    replies = stack.say("learner-switch", UNSEEN["en"]["definition"])
    assert replies[0]["text"].startswith(catalog("sl").gettext("topic.definition.short"))


def test_http_api_requires_the_token(stack):
    response = httpx.post(f"{stack.rasa_url}/model/parse", json={"text": "hi"}, timeout=30)
    assert response.status_code == 401


def test_conversation_and_language_survive_a_restart(stack):
    stack.say("learner-restart", UNSEEN["lt"]["greet"])
    assert stack.stop() == 0
    stack.restart()  # the same settings: the tests after this one use the same stack
    replies = stack.say("learner-restart", "/greet")  # no language evidence in a payload
    assert replies[0]["text"] == catalog("lt").gettext("greet")
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/learner-restart/tracker", params={"token": "e2e-test-token"}, timeout=30
    ).json()
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert UNSEEN["lt"]["greet"] in user_texts
