"""The planner conversation: reading credentials in five languages, and the explained plan on the sample catalogue."""
import asyncio
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.stack_planner as stack_planner_actions
from actions.stack_planner import ActionPlanStack, ValidatePlanStackForm
from catalogue_index.importers import load
from catalogue_index.planner import ExternalCredential
from catalogue_index.search import SearchService
from catalogue_index.store import CatalogueStore
from orienta.languages import supported_languages
from orienta.offer_view import OfferPresenter
from orienta.stack_conversation import HeldItem, StackPlanner, is_done, is_no_goal, parse_external

TERMINALS = "ofr-smiltynes-universitetas-uosto-terminalu-operacijos"
MARITIME_LAW = "ofr-smiltynes-universitetas-juru-teise"


@pytest.mark.parametrize("text, language, expected", [
    ("Excel for accountants, 3 ECTS, EQF 5", "en", ExternalCredential("Excel for accountants", 3.0, 5)),
    ("curs de contabilitate 6 credite, nivel 6", "ro", ExternalCredential("curs de contabilitate", 6.0, 6)),
    ("kurs SQL, 2,5 punktu ECTS", "pl", ExternalCredential("kurs SQL", 2.5, None)),
    ("tečaj varjenja, raven 4", "sl", ExternalCredential("tečaj varjenja", None, 4)),
    ("Python kursas 5 kreditai", "lt", ExternalCredential("Python kursas", 5.0, None)),
])
def test_external_credentials_in_the_learners_words(text, language, expected):
    assert parse_external(text, language) == expected


def test_a_title_alone_is_not_an_external_credential():
    assert parse_external("Python for engineers", "en") is None


@pytest.mark.parametrize("language", supported_languages())
def test_the_buttons_words_close_the_list_and_skip_the_goal(language):
    view = OfferPresenter(language)
    assert is_done(view.t("plan.done_word"), language)
    assert is_no_goal(view.t("plan.no_goal_word"), language)
    assert not is_done("Python for engineers", language)


@pytest.fixture(scope="module")
def planner(embedder, tmp_path_factory):
    store = CatalogueStore.from_url(f"sqlite:///{tmp_path_factory.mktemp('plan') / 'catalogue.db'}")
    loaded = load(str(Path(__file__).resolve().parents[2] / "catalogue_index" / "sample"))
    store.import_records(loaded.records, source=loaded.source, format=loaded.format, issues=loaded.issues)
    return StackPlanner(SearchService(store, embedder, tmp_path_factory.mktemp("index")))


def test_a_catalogue_offer_is_found_by_name_across_languages(planner):
    item, message = planner.add_credential("port terminal operations planning", None, "en")
    assert item.offer_id == TERMINALS and message["text"].startswith("Noted: ")
    item, _ = planner.add_credential("", MARITIME_LAW, "lt")  # a button names the offer
    assert item.offer_id == MARITIME_LAW


def test_two_offers_and_an_external_credential_give_a_cited_plan(planner):
    items = [HeldItem("Port terminals", TERMINALS, 4, 6), HeldItem("Maritime law", MARITIME_LAW, 4, 6),
             HeldItem("Maritime English B2", None, 4, 6)]
    intro, first, *rest = planner.explain(items, "no goal", "en")
    text = first["text"]
    assert intro["text"] == "Here is what your credentials can build towards:"
    assert "Collected: 8 of 12 ECTS." in text
    assert "✓ " in text and "✗ " in text and "4 more ECTS from" in text
    assert "Cheapest way to complete:" in text and "Shortest way to complete:" in text
    assert "might count instead of" in text  # the external credential, if the university recognises it
    assert "Annex II, principle 5" in text
    assert rest[-1]["buttons"][0]["payload"] == "/rpl_validation"


def test_nothing_to_build_on_says_so_and_points_to_recognition(planner):
    messages = planner.explain([HeldItem("Cake decorating", None, 1, 3)], None, "pl")
    assert len(messages) == 1 and {b["payload"] for b in messages[0]["buttons"]} >= {"/rpl_validation", "/recognition"}


def test_a_goal_names_pathways_without_any_credential(planner):
    messages = planner.explain([], "a certificate in port logistics and maritime transport", "en")
    assert "Port logistics and maritime transport" in messages[1]["text"]


def tracker(text, **slots):
    message = {"text": text, "intent": {"name": "find_course", "confidence": 0.9}, "entities": []}
    return Tracker("learner", {"language": "en", "requested_slot": "plan_held", **slots}, message, [], False, None,
                   {"name": "plan_stack_form"}, "action_listen")


def test_the_form_collects_one_credential_per_message_until_done(planner, monkeypatch):
    monkeypatch.setattr(stack_planner_actions, "_planner", planner)
    form = ValidatePlanStackForm()
    dispatcher = CollectingDispatcher()
    slots = asyncio.run(form.extract_plan_held(dispatcher, tracker("Maritime English, 4 ECTS, EQF 6"), {}))
    assert slots == {"plan_items": [{"title": "Maritime English", "ects": 4.0, "eqf_level": 6}]}
    done = asyncio.run(form.extract_plan_held(dispatcher, tracker("that's all", plan_items=slots["plan_items"]), {}))
    assert done == {"plan_held": slots["plan_items"]}


def test_the_plan_action_clears_the_form_for_a_new_plan(planner, monkeypatch):
    monkeypatch.setattr(stack_planner_actions, "_planner", planner)
    dispatcher = CollectingDispatcher()
    held = [{"title": "Port terminals", "offer_id": TERMINALS}]
    events = asyncio.run(ActionPlanStack().run(dispatcher, tracker("no goal", plan_held=held, plan_goal="no goal"), {}))
    assert "Collected: 4 of 12 ECTS." in dispatcher.messages[1]["text"]
    assert {e["name"]: e["value"] for e in events} == {"plan_items": None, "plan_held": None, "plan_goal": None}


def domain_with_the_planner_form():
    return {"forms": {"plan_stack_form": {"required_slots": ["plan_held", "plan_goal"]}},
            "slots": {name: {"type": "any", "mappings": [{"type": "custom"}]}
                      for name in ("plan_items", "plan_held", "plan_goal", "language", "requested_slot")}}


def run_form_validation(text, intent, **slots):
    """The whole validation action as Rasa calls it (extraction, then validation), on a real Tracker."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.8}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": message},
              {"event": "action", "name": "plan_stack_form"}, {"event": "slot", "name": "requested_slot",
                                                                "value": "plan_held"}]
    tracker = Tracker("learner", {"language": "en", "requested_slot": "plan_held", **slots}, message, events, False,
                      None, {"name": "plan_stack_form"}, "plan_stack_form")
    dispatcher = CollectingDispatcher()
    return asyncio.run(ValidatePlanStackForm().run(dispatcher, tracker, domain_with_the_planner_form())), dispatcher


@pytest.mark.parametrize("intent", ["plan_stack", "rpl_validation", "find_course", "nlu_fallback"])
def test_each_credential_is_kept_whatever_the_nlu_made_of_its_title(planner, monkeypatch, intent):
    """rasa-sdk drops slots outside required_slots; a lost plan_items made Rasa reject the form (issue 5)."""
    monkeypatch.setattr(stack_planner_actions, "_planner", planner)
    events, dispatcher = run_form_validation("Maritime English, 4 ECTS, EQF 6", intent)
    assert {"event": "slot", "name": "plan_items", "value": [{"title": "Maritime English", "ects": 4.0,
                                                               "eqf_level": 6}],
            "timestamp": None} in events
    assert dispatcher.messages[0]["text"].startswith("Noted: ")
    held = events[-1]["value"] if events[-1]["name"] == "plan_items" else None
    events, _ = run_form_validation("that's all", "thanks", plan_items=held)
    assert [e for e in events if e["name"] == "plan_held"][0]["value"] == held
