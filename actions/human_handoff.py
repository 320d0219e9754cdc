"""Handing the conversation to a person: thin adapters over orienta.handoff.

handoff_form asks for consent and a contact; action_request_handoff stores the
request and notifies the counsellors; while the bot is paused,
action_handoff_status answers (predicted by orienta_rasa.handoff_policy), and
action_handoff_ended, run by the handoff worker through Rasa's HTTP API when a
counsellor resolves the request or the pause times out, tells the learner the
bot is back. A failing store never breaks the conversation.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional, Text

import httpx
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation_language import conversation_language
from actions.course_search import course_finder
from catalogue_index.lookup import offers_by_id
from orienta.catalogs import translations_for
from orienta.handoff.config import HandoffSettings
from orienta.handoff.contact import Contact
from orienta.handoff.conversation import HandoffDesk
from orienta.handoff.store import HandoffStore

logger = logging.getLogger(__name__)
HANDOFF_SLOT = "handoff_id"
FORM_SLOTS = ("handoff_consent", "handoff_contact")
_desk_parts: Dict[str, Any] = {}
_lock = threading.Lock()


def desk(language: str) -> HandoffDesk:
    """A desk for this language over the process's one store, settings and HTTP client."""
    with _lock:
        if not _desk_parts:
            settings = HandoffSettings.from_env()
            _desk_parts.update(settings=settings, store=HandoffStore(settings.database_url), client=httpx.Client())
    return HandoffDesk(_desk_parts["store"], _desk_parts["settings"], language, _desk_parts["client"])


def knowledge_topics(domain: DomainDict) -> List[str]:
    """The domain's intents that are knowledge topics (they have a title in the catalogs)."""
    gettext = translations_for("en").gettext
    return [i for i in domain.get("intents", []) if gettext(f"topic.{i}.title") != f"topic.{i}.title"]


def offer_titles(language: str):
    def lookup(ids: List[str]) -> Dict[str, str]:
        if not ids:
            return {}
        service = course_finder().service
        with service.store.session() as session:
            return {i: o.text("title", language) for i, o in offers_by_id(session, ids).items()}
    return lookup


class ActionAskHandoffConsent(Action):
    def name(self) -> Text:
        return "action_ask_handoff_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(**desk(conversation_language(tracker)).ask_consent())
        return []


class ActionAskHandoffContact(Action):
    def name(self) -> Text:
        return "action_ask_handoff_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(**desk(conversation_language(tracker)).ask_contact())
        return []


class ValidateHandoffForm(FormValidationAction):
    """Consent first; declining at any question ends the form with nothing shared."""

    def name(self) -> Text:
        return "validate_handoff_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        return [] if tracker.get_slot("handoff_consent") is False else list(FORM_SLOTS)

    async def validate_handoff_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        return {"handoff_consent": bool(value)}

    async def validate_handoff_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "deny":
            return {"handoff_consent": False, "handoff_contact": None}
        handoff = desk(conversation_language(tracker))
        contact = handoff.read_contact(str(value or ""))
        if contact is None:
            dispatcher.utter_message(**handoff.ask_contact(retry=True))
            return {"handoff_contact": None}
        return {"handoff_contact": f"{contact.method}:{contact.value or ''}"}


def stored_contact(value: Optional[str]) -> Optional[Contact]:
    method, _, detail = (value or "").partition(":")
    return Contact(method, detail or None) if method in ("email", "phone", "chat") else None


class ActionRequestHandoff(Action):
    """Stores the request, notifies the counsellors and pauses the bot; or confirms nothing was shared."""

    def name(self) -> Text:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = conversation_language(tracker)
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        contact = stored_contact(tracker.get_slot("handoff_contact"))
        try:
            handoff = desk(language)
            if tracker.get_slot("handoff_consent") is not True or contact is None:
                dispatcher.utter_message(**handoff.declined())
                return reset
            opened = handoff.open_request(tracker.sender_id, tracker.get_latest_input_channel(), contact,
                                          tracker.events, tracker.current_slot_values(), knowledge_topics(domain),
                                          offer_titles(language))
        except Exception:  # noqa: BLE001 - the learner is told, and the conversation goes on
            logger.exception("creating a handoff request failed")
            dispatcher.utter_message(**desk(language).unavailable())
            return reset
        for message in opened.messages:
            dispatcher.utter_message(**message)
        return reset + [SlotSet(HANDOFF_SLOT, opened.reference)]


class ActionHandoffStatus(Action):
    """While the bot is paused: the learner's message is kept for the counsellor, and they are told so."""

    def name(self) -> Text:
        return "action_handoff_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return respond(dispatcher, tracker, ended=False)


class ActionHandoffEnded(Action):
    """The pause is over: run by the handoff worker through Rasa's API (`/conversations/ID/execute`)."""

    def name(self) -> Text:
        return "action_handoff_ended"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        # Run outside a turn, so the bot listens afterwards: the learner's next message starts a turn as usual,
        # also when there was nothing to end (the learner's own message ended the pause first).
        told = respond(dispatcher, tracker, ended=True) if tracker.get_slot(HANDOFF_SLOT) else []
        return told + [ActionExecuted("action_listen")]


def respond(dispatcher: CollectingDispatcher, tracker: Tracker, ended: bool) -> List[EventType]:
    language = conversation_language(tracker)
    reference = tracker.get_slot(HANDOFF_SLOT)
    try:
        handoff = desk(language)
        outcome = handoff.ended(reference) if ended else handoff.status(reference)
    except Exception:  # noqa: BLE001 - if the store is unreachable, the bot comes back rather than hang
        logger.exception("reading handoff %s failed", reference)
        dispatcher.utter_message(**desk(language).unavailable())
        return [SlotSet(HANDOFF_SLOT, None)]
    for message in outcome.messages:
        dispatcher.utter_message(**message)
    return [SlotSet(name, value) for name, value in outcome.slots.items()]
