"""Course search actions: thin adapters from the tracker to orienta.course_finder.

The search service (the E5 model, the faiss and BM25 indexes) is opened on the
first search, not at import, and shared by all conversations of the process.
Any failure is logged and answered with a localized apology: the conversation
goes on.
"""
from __future__ import annotations

import abc
import logging
import threading
from typing import List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation_language import conversation_language
from catalogue_index.search import SearchService
from orienta.course_finder import CourseFinder, Reply, SearchState
from orienta.offer_view import OfferPresenter
from orienta.search_request import SearchRequest, parse_position, parse_request

logger = logging.getLogger(__name__)
SEARCH_SLOTS = ("search_query", "search_filters", "search_shown", "search_page", "search_offer")
_finder: Optional[CourseFinder] = None
_finder_lock = threading.Lock()


def course_finder() -> CourseFinder:
    global _finder
    with _finder_lock:
        if _finder is None:
            _finder = CourseFinder(SearchService())
        return _finder


def latest_request(tracker: Tracker) -> SearchRequest:
    message = tracker.latest_message or {}
    return parse_request(message.get("text") or "", message.get("entities") or [], conversation_language(tracker))


def search_state(tracker: Tracker) -> SearchState:
    return SearchState.from_slots({name: tracker.get_slot(name) for name in SEARCH_SLOTS})


def entity(tracker: Tracker, name: str) -> Optional[str]:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def send(dispatcher: CollectingDispatcher, reply: Reply, *extra: EventType) -> List[EventType]:
    for message in reply.messages:
        dispatcher.utter_message(**message)
    return [SlotSet(name, value) for name, value in reply.state.to_slots().items()] + list(extra)


class SearchAction(Action, abc.ABC):
    """Runs one finder move; a failure becomes an apology, never a broken conversation.

    Abstract, so that the action server does not register it as an action of its own.
    """

    @abc.abstractmethod
    def move(self, finder: CourseFinder, tracker: Tracker, language: str) -> Reply:
        """The finder call this action stands for."""

    def after(self) -> List[EventType]:
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = conversation_language(tracker)
        try:
            reply = self.move(course_finder(), tracker, language)
        except Exception:  # noqa: BLE001 - any failure of the search must leave the conversation usable
            logger.exception("%s failed", self.name())
            dispatcher.utter_message(text=OfferPresenter(language).t("search.unavailable"))
            return self.after()
        return send(dispatcher, reply, *self.after())


class ActionSearchCourses(SearchAction):
    def name(self) -> Text:
        return "action_search_courses"

    def move(self, finder: CourseFinder, tracker: Tracker, language: str) -> Reply:
        return finder.search(latest_request(tracker), language, asked=bool(tracker.get_slot("search_subject")))

    def after(self) -> List[EventType]:
        return [SlotSet("search_subject", None)]  # the next vague request asks again


class ActionRefineSearch(SearchAction):
    def name(self) -> Text:
        return "action_refine_search"

    def move(self, finder: CourseFinder, tracker: Tracker, language: str) -> Reply:
        return finder.refine(search_state(tracker), latest_request(tracker), language)


class ActionMoreResults(SearchAction):
    def name(self) -> Text:
        return "action_more_results"

    def move(self, finder: CourseFinder, tracker: Tracker, language: str) -> Reply:
        return finder.more(search_state(tracker), language)


class ActionSimilarOffers(SearchAction):
    def name(self) -> Text:
        return "action_similar_offers"

    def move(self, finder: CourseFinder, tracker: Tracker, language: str) -> Reply:
        return finder.similar(search_state(tracker), entity(tracker, "offer_id"), language)


class ActionExplainOffer(SearchAction):
    def name(self) -> Text:
        return "action_explain_offer"

    def move(self, finder: CourseFinder, tracker: Tracker, language: str) -> Reply:
        position_text = entity(tracker, "position")
        position = parse_position(position_text, language) if position_text else None
        return finder.explain(search_state(tracker), entity(tracker, "offer_id"), position, language)


class ActionAskSearchSubject(Action):
    """The form's one clarifying question (what to learn), with a few example subjects."""

    def name(self) -> Text:
        return "action_ask_search_subject"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text=OfferPresenter(conversation_language(tracker)).t("search.ask_subject"))
        return []


class ValidateCourseSearchForm(FormValidationAction):
    """Asks for a subject only when the request names neither a subject nor a constraint ("a course")."""

    def name(self) -> Text:
        return "validate_course_search_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        if tracker.get_slot("search_subject") or tracker.get_slot("requested_slot"):
            return domain_slots
        return domain_slots if latest_request(tracker).vague else []
