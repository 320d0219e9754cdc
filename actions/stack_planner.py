"""The stacking planner's form and its result: thin adapters over orienta.stack_conversation.

plan_stack_form asks for the learner's credentials (one per message, until
they say that is all) and then for a goal; action_plan_stack explains the plan.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation_language import conversation_language
from actions.course_search import course_finder, entity
from orienta.offer_view import OfferPresenter
from orienta.stack_conversation import StackPlanner, held_items, is_done

logger = logging.getLogger(__name__)
ITEMS_SLOT = "plan_items"  # the credentials named so far; plan_held gets them when the learner is done
_planner: Optional[StackPlanner] = None
_planner_lock = threading.Lock()


def stack_planner() -> StackPlanner:
    """One planner per process, sharing the course finder's search service."""
    global _planner
    with _planner_lock:
        if _planner is None:
            _planner = StackPlanner(course_finder().service)
        return _planner


class ActionAskPlanHeld(Action):
    def name(self) -> Text:
        return "action_ask_plan_held"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        view = OfferPresenter(conversation_language(tracker))
        if tracker.get_slot(ITEMS_SLOT):
            dispatcher.utter_message(text=view.t("plan.anything_else"),
                                     buttons=[{"title": view.t("button.plan_done"), "payload": view.t("plan.done_word")}])
        else:
            dispatcher.utter_message(text=view.t("plan.ask_held"))
        return []


class ActionAskPlanGoal(Action):
    def name(self) -> Text:
        return "action_ask_plan_goal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        view = OfferPresenter(conversation_language(tracker))
        dispatcher.utter_message(text=view.t("plan.ask_goal"),
                                 buttons=[{"title": view.t("button.plan_no_goal"), "payload": view.t("plan.no_goal_word")}])
        return []


class ValidatePlanStackForm(FormValidationAction):
    """Collects one credential per message; "that's all" closes the list (an empty list is fine)."""

    def name(self) -> Text:
        return "validate_plan_stack_form"

    async def extract_plan_held(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "plan_held":
            return {}
        language = conversation_language(tracker)
        items = held_items(tracker.get_slot(ITEMS_SLOT))
        text = (tracker.latest_message or {}).get("text") or ""
        if is_done(text, language):
            return {"plan_held": [item.to_slot() for item in items]}
        try:
            item, message = stack_planner().add_credential(text if not text.startswith("/") else "",
                                                           entity(tracker, "offer_id"), language)
        except Exception:  # noqa: BLE001 - a failed lookup must not end the form
            logger.exception("reading a credential failed")
            dispatcher.utter_message(text=OfferPresenter(language).t("search.unavailable"))
            return {ITEMS_SLOT: [i.to_slot() for i in items]}
        dispatcher.utter_message(**message)
        if item is not None:
            items.append(item)
        return {ITEMS_SLOT: [i.to_slot() for i in items]}

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """rasa-sdk keeps only the form's required slots; the list so far (`plan_items`) must be kept too.

        Without it Rasa sees no slot filled, rejects the form and the credential is lost."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        recent = tracker.slots_to_validate()  # what extract_plan_held set this turn
        if ITEMS_SLOT in recent and not any(event.get("name") == ITEMS_SLOT for event in events):
            events.append(SlotSet(ITEMS_SLOT, recent[ITEMS_SLOT]))
        return events

    async def validate_plan_held(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        return {"plan_held": value if isinstance(value, list) else []}

    async def validate_plan_goal(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        return {"plan_goal": str(value or "").strip()[:300]}


class ActionPlanStack(Action):
    """Explains the plan, then clears the form's slots so that a new plan starts afresh."""

    def name(self) -> Text:
        return "action_plan_stack"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = conversation_language(tracker)
        try:
            messages = stack_planner().explain(held_items(tracker.get_slot("plan_held")),
                                               tracker.get_slot("plan_goal"), language)
        except Exception:  # noqa: BLE001 - the conversation must stay usable
            logger.exception("planning failed")
            messages = [{"text": OfferPresenter(language).t("search.unavailable")}]
        for message in messages:
            dispatcher.utter_message(**message)
        return [SlotSet(ITEMS_SLOT, None), SlotSet("plan_held", None), SlotSet("plan_goal", None)]
