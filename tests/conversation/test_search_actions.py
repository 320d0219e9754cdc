"""The course-search actions with a real Tracker and CollectingDispatcher over the real finder."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.course_search as course_search
from actions.course_search import (ActionAskSearchSubject, ActionExplainOffer, ActionMoreResults, ActionRefineSearch,
                                   ActionSearchCourses, ValidateCourseSearchForm)

from .conftest import PYTHON, SOLAR


@pytest.fixture(autouse=True)
def real_finder(monkeypatch, finder):
    monkeypatch.setattr(course_search, "_finder", finder)


def tracker(text, intent, entities=(), **slots):
    message = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": list(entities)}
    return Tracker("learner", {"language": "en", **slots}, message, [], False, None, {}, "action_listen")


def run(action, current):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, current, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_search_sends_cards_and_remembers_the_search():
    messages, slots = run(ActionSearchCourses(), tracker("a python course please", "find_course",
                                                         language="ro"))
    assert messages[1]["text"].startswith("1. Analiza datelor cu Python")  # Romanian title for a Romanian learner
    assert slots["search_page"][0] == PYTHON and slots["search_query"] == "python"
    assert slots["search_subject"] is None  # the next vague request asks again


def test_refine_reads_the_previous_search_from_the_slots():
    _, first = run(ActionSearchCourses(), tracker("solar power plants", "find_course"))
    entities = [{"entity": "price", "value": "free", "start": 0, "end": 4}]
    messages, slots = run(ActionRefineSearch(), tracker("free ones", "refine_search", entities, **first))
    assert slots["search_filters"] == {"free": True} and slots["search_page"] == [SOLAR]
    assert "Filters: Free of charge." in messages[0]["text"]


def test_more_results_without_a_search_asks_what_to_look_for():
    messages, _ = run(ActionMoreResults(), tracker("more", "more_results"))
    assert messages[0]["text"].startswith("What would you like to learn?")


def test_explain_offer_by_position_and_by_button():
    _, first = run(ActionSearchCourses(), tracker("python", "find_course"))
    messages, slots = run(ActionExplainOffer(), tracker("the first one", "explain_offer",
                                                        [{"entity": "position", "value": "1"}], **first))
    assert messages[0]["text"].startswith("Title: Data analysis with Python")
    assert slots["search_offer"] == PYTHON
    messages, _ = run(ActionExplainOffer(), tracker(f'/explain_offer{{"offer_id":"{SOLAR}"}}', "explain_offer",
                                                    [{"entity": "offer_id", "value": SOLAR}]))
    assert "Monitoring and fault diagnosis of solar power plants" in messages[0]["text"]


def test_a_failing_search_apologises_and_keeps_the_conversation(monkeypatch, finder):
    def broken(*args, **kwargs):
        raise RuntimeError("index gone")

    monkeypatch.setattr(finder, "search", broken)
    messages, slots = run(ActionSearchCourses(), tracker("python", "find_course", language="en"))
    assert messages == [{**messages[0], "text": "Sorry, the course search is not available right now. Please try "
                         "again in a moment; you can still ask me about micro-credentials."}]
    assert slots == {"search_subject": None}


def test_the_form_asks_only_when_the_request_is_vague():
    form = ValidateCourseSearchForm()
    slots = ["search_subject"]
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), tracker("python", "find_course"), {})) == []
    vague = tracker("I'm looking for a course", "find_course")
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), vague, {})) == slots
    messages, _ = run(ActionAskSearchSubject(), tracker("a course", "find_course", language="en"))
    assert messages[0]["text"].startswith("What would you like to learn?")
