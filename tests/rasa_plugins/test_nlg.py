"""The NLG renders domain responses from the catalogs in the conversation's language."""
import asyncio

import pytest
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from orienta.languages import supported_languages
from orienta.catalogs import translations_for
from orienta_rasa.nlg import (
    closest_topics,
    GettextNLG,
    conversation_language,
    fill,
    language_name,
    render_response,
    response_message_ids,
)


def tracker(domain, language=None, detected="und", slots=()):
    t = DialogueStateTracker.from_events(
        "learner", [UserUttered("hello", {"name": "greet", "confidence": 1.0}, parse_data={"language": detected})],
        slots=domain.slots,
    )
    if language:
        t.update(SlotSet("language", language))
    for name, value in slots:
        t.update(SlotSet(name, value))
    return t


def generate(nlg, name, t):
    return asyncio.run(nlg.generate(name, t, "rest"))


def test_fill_keeps_unknown_placeholders_and_survives_stray_braces():
    assert fill("Hi {name}, {unknown}", {"name": "Ana"}) == "Hi Ana, {unknown}"
    assert fill("a { b", {}) == "a { b"


def test_language_names_are_endonyms():
    assert [language_name(code) for code in ("pl", "lt", "sl")] == ["Polski", "Lietuvių", "Slovenščina"]


def test_conversation_language_is_the_turns_language_before_the_slot_is_stored():
    assert conversation_language({"language": "ro"}, {"language": "pl"}) == "pl"  # the learner now writes Polish
    assert conversation_language({"language": "ro", "language_chosen": True}, {"language": "pl"}) == "ro"
    assert conversation_language({"language": "ro"}, {"language": "und"}) == "ro"
    assert conversation_language({}, {"language": "und"}) == "en"


@pytest.mark.parametrize("language", supported_languages())
def test_answers_are_in_the_conversation_language_with_citation(domain, language):
    nlg = GettextNLG(domain=domain)
    message = generate(nlg, "utter_answer_definition", tracker(domain, language))
    catalog = translations_for(language)
    assert message["text"].startswith(catalog.gettext("topic.definition.short"))
    assert catalog.gettext("topic.definition.source") in message["text"]
    assert message["metadata"]["citation"] == catalog.gettext("topic.definition.source")
    assert message["buttons"][0]["title"] == catalog.gettext("button.tell_me_more")
    assert message["buttons"][0]["payload"] == '/tell_me_more{"topic":"definition"}'
    assert "topic." not in message["text"]


def test_detected_language_is_used_before_the_slot_is_set(domain):
    nlg = GettextNLG(domain=domain)
    message = generate(nlg, "utter_greet", tracker(domain, None, detected="lt"))
    assert message["text"] == translations_for("lt").gettext("greet")


def test_tell_me_more_follows_the_topic_slot(domain):
    nlg = GettextNLG(domain=domain)
    message = generate(nlg, "utter_more", tracker(domain, "pl", slots=[("topic", "principles_overview")]))
    assert message["text"].startswith(translations_for("pl").gettext("topic.principles_overview.more"))


def test_tell_me_more_without_topic_offers_topics(domain):
    nlg = GettextNLG(domain=domain)
    message = generate(nlg, "utter_more", tracker(domain, "sl"))
    assert message["text"] == translations_for("sl").gettext("fallback")
    assert len(message["buttons"]) == 2


def test_language_switch_is_confirmed_in_the_new_language(domain):
    """The first action of the turn: the policy's SlotSet is not stored yet."""
    nlg = GettextNLG(domain=domain)
    request = {"name": "change_language", "confidence": 0.95}
    t = DialogueStateTracker.from_events("learner", [SlotSet("language", "en"), UserUttered(
        "switch to Lithuanian", request, [{"entity": "language", "value": "lt"}], {"language": "en"})],
        slots=domain.slots)
    message = generate(nlg, "utter_language_switched", t)
    assert message["text"] == translations_for("lt").gettext("language_switched")


def test_language_choice_offers_every_language(domain):
    nlg = GettextNLG(domain=domain)
    message = generate(nlg, "utter_language_choose", tracker(domain, "ro"))
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ['/change_language{"language":"%s"}' % c for c in supported_languages()]


def test_unknown_response_renders_nothing(domain):
    assert generate(GettextNLG(domain=domain), "utter_nonexistent", tracker(domain, "en")) is None


def test_every_domain_message_id_is_translated(domain):
    for language in supported_languages():
        catalog = translations_for(language)
        untranslated = [m for m in response_message_ids(domain.responses) if catalog.gettext(m) == m]
        assert not untranslated, (language, untranslated)


def test_render_response_translates_buttons_and_fills_values():
    catalog = {"hello": "Bonjour {who}", "b": "Bouton"}.get
    message = render_response(
        {"text": "hello", "buttons": [{"title": "b", "payload": "/x"}]}, lambda m: catalog(m, m), {"who": "Ana"}
    )
    assert message["text"] == "Bonjour Ana"
    assert message["buttons"] == [{"title": "Bouton", "payload": "/x"}]


def test_closest_topics_skips_non_topics_and_keeps_order():
    ranking = [{"name": "greet"}, {"name": "stacking"}, {"name": "nlu_fallback"}, {"name": "recognition"},
               {"name": "quality"}, {"name": "portability"}]
    assert closest_topics(ranking, ["quality", "stacking", "recognition", "portability"], 3) == [
        "stacking", "recognition", "quality"]


def test_fallback_offers_the_closest_topics(domain):
    t = DialogueStateTracker.from_events(
        "learner",
        [UserUttered("hmm credits?", {"name": "nlu_fallback", "confidence": 0.4}, parse_data={
            "language": "ro",
            "intent_ranking": [{"name": "nlu_fallback"}, {"name": "principles_overview"}, {"name": "greet"},
                               {"name": "definition"}]})],
        slots=domain.slots,
    )
    message = generate(GettextNLG(domain=domain), "utter_fallback", t)
    ro = translations_for("ro")
    assert message["text"] == ro.gettext("fallback")
    assert [b["payload"] for b in message["buttons"]] == ["/principles_overview", "/definition"]
    assert message["buttons"][0]["title"] == ro.gettext("topic.principles_overview.title")


def test_domain_given_after_creation_is_used(domain):
    """The Rasa server creates the NLG before loading a model, then hands it the responses."""
    nlg = GettextNLG(domain=None)
    nlg.responses = domain.responses
    message = generate(nlg, "utter_greet", tracker(domain, "sl"))
    assert message["text"] == translations_for("sl").gettext("greet")


def test_a_second_miss_in_a_row_offers_a_counsellor(domain):
    def miss(text):
        return UserUttered(text, {"name": "nlu_fallback", "confidence": 0.3},
                           parse_data={"language": "pl", "intent_ranking": [{"name": "nlu_fallback"},
                                                                            {"name": "recognition"}]})

    once = DialogueStateTracker.from_events("learner", [miss("hmm?")], slots=domain.slots)
    assert generate(GettextNLG(domain=domain), "utter_fallback", once)["text"] == translations_for("pl").gettext("fallback")
    twice = DialogueStateTracker.from_events("learner", [miss("hmm?"), miss("ehh")], slots=domain.slots)
    message = generate(GettextNLG(domain=domain), "utter_fallback", twice)
    pl = translations_for("pl")
    assert message["text"] == pl.gettext("fallback_again")
    assert message["buttons"][-1] == {"title": pl.gettext("button.counsellor"), "payload": "/human_handoff"}
    assert "counsellor_after_misses" not in message["metadata"]


@pytest.mark.parametrize("response", ["utter_restart", "utter_default"])
def test_rasas_own_fallback_and_restart_speak_the_conversations_language(domain, response):
    """action_restart and action_default_fallback utter these: without them the learner would get silence."""
    nlg = GettextNLG(domain=domain)
    for language in supported_languages():
        message = generate(nlg, response, tracker(domain, language))
        assert message and message["text"], (response, language)
        expected = {"utter_restart": "restart", "utter_default": "fallback"}[response]
        assert message["text"] == translations_for(language).gettext(expected)
