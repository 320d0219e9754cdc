"""The learner's side of a handoff: consent, contact, the request, the pause and its end.

Plain functions over the store and the catalogs, so the Rasa actions
(actions/human_handoff.py) only read the tracker and send what these return.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import httpx
from babel.dates import format_timedelta

from orienta.offer_view import OfferPresenter
from orienta.search_vocabulary import message_is

from .config import HandoffSettings
from .contact import CHAT, Contact, parse_contact
from .notify import deliver, retry_delay, webhook_payload
from .store import OPEN, HandoffStore, NewRequest, utcnow
from .summary import conversation_summary, with_offer_titles

logger = logging.getLogger(__name__)
Message = Dict[str, Any]


def N_(message_id: str) -> str:
    return message_id


CONSENT = N_("handoff.ask_consent")
CONTACT = N_("handoff.ask_contact")
CONTACT_INVALID = N_("handoff.contact_invalid")
CHAT_BUTTON, CHAT_WORD = N_("handoff.button_chat"), N_("handoff.chat_word")
YES, NO = N_("button.yes"), N_("button.no")
DECLINED = N_("handoff.declined")
CREATED = N_("handoff.created")
NEXT_STEP = {"email": N_("handoff.next_email"), "phone": N_("handoff.next_phone"), CHAT: N_("handoff.next_chat")}
PAUSED = N_("handoff.paused")
WAITING = N_("handoff.waiting")
RESUMED_RESOLVED = N_("handoff.resumed_resolved")
RESUMED_TIMEOUT = N_("handoff.resumed_timeout")
UNAVAILABLE = N_("handoff.unavailable")
GUIDANCE_BUTTON = N_("topic.guidance_services.title")


@dataclass
class Opened:
    """The outcome of a request: what to tell the learner, and the request's reference."""

    messages: List[Message]
    reference: Optional[str] = None
    slots: Dict[str, Any] = field(default_factory=dict)


class HandoffDesk:
    """Everything the bot says and does about a handoff, in one conversation language."""

    def __init__(self, store: HandoffStore, settings: HandoffSettings, language: str,
                 client: Optional[httpx.Client] = None) -> None:
        self.store, self.settings = store, settings
        self.view = OfferPresenter(language)
        self.language = self.view.language
        self.client = client

    def duration(self, delta: timedelta) -> str:
        return format_timedelta(delta, threshold=1.5, locale=self.view.locale)

    # -- the form ------------------------------------------------------------------------------------------------

    def ask_consent(self) -> Message:
        return {"text": self.view.t(CONSENT), "buttons": [
            {"title": self.view.t(YES), "payload": "/affirm"}, {"title": self.view.t(NO), "payload": "/deny"}]}

    def ask_contact(self, retry: bool = False) -> Message:
        return {"text": self.view.t(CONTACT_INVALID if retry else CONTACT), "buttons": [
            {"title": self.view.t(CHAT_BUTTON), "payload": self.view.t(CHAT_WORD)}]}

    def read_contact(self, text: str) -> Optional[Contact]:
        return parse_contact(text, lambda message: message_is(message, self.language, "chat_contact"))

    def declined(self) -> Message:
        return {"text": self.view.t(DECLINED),
                "buttons": [{"title": self.view.t(GUIDANCE_BUTTON), "payload": "/guidance_services"}]}

    # -- the request -------------------------------------------------------------------------------------------------

    def open_request(self, sender_id: str, channel: Optional[str], contact: Contact,
                     events: Sequence[Mapping[str, Any]], slots: Mapping[str, Any], knowledge_topics: Iterable[str],
                     offer_titles: Callable[[List[str]], Mapping[str, str]] = lambda ids: {},
                     now: Optional[datetime] = None) -> Opened:
        """Store the request and its notification, try to deliver it once, and say what happens next."""
        now = now or utcnow()
        summary = conversation_summary(events, slots, self.language, knowledge_topics)
        try:
            titles = offer_titles(summary["offers"])
        except Exception:  # noqa: BLE001 - titles are a courtesy to the counsellor, not a condition
            logger.exception("looking up offer titles for a handoff failed")
            titles = {}
        summary = with_offer_titles(summary, titles)
        pause = timedelta(minutes=self.settings.pause_minutes)
        request = NewRequest(sender_id=sender_id, language=self.language, contact_method=contact.method,
                             contact=contact.value, summary=summary, channel=channel)
        render = None
        if self.settings.webhook_url:
            def render(data: Dict[str, Any]) -> Dict[str, Any]:
                return webhook_payload(data, self.settings.webhook_format, self.settings.counsellor_language)
        row = self.store.create(request, pause, self.settings.webhook_url, render, now)
        if row.notifications and self.client is not None:
            self._try_now(row.notifications[0].id, row.notifications[0].payload, now)
        text = "\n\n".join([
            self.view.t(CREATED, reference=row.id),
            self.view.t(NEXT_STEP[contact.method], contact=contact.value or ""),
            self.view.t(PAUSED, duration=self.duration(pause)),
        ])
        return Opened([{"text": text}], row.id)

    def _try_now(self, notification_id: int, payload: Dict[str, Any], now: datetime) -> None:
        """One immediate delivery attempt; a failure is left to the worker's retries."""
        error = deliver(self.client, self.settings.webhook_url, payload, self.settings.webhook_timeout_seconds)
        self.store.record_attempt(notification_id, error,
                                  retry_delay(1, self.settings.retry_first_seconds, self.settings.retry_max_seconds),
                                  now)
        if error:
            logger.warning("Handoff notification %s: first attempt failed (the worker retries): %s",
                           notification_id, error)

    # -- the pause ------------------------------------------------------------------------------------------------------

    def status(self, reference: Optional[str], now: Optional[datetime] = None) -> Opened:
        """A message while paused; or, when the pause is over, the end-of-pause message and cleared slots."""
        now = now or utcnow()
        request = self.store.get(reference) if reference else None
        if request is None or request.status != OPEN or request.pause_until <= now:
            return self.ended(reference, now)
        remaining = request.pause_until - now
        return Opened([{"text": self.view.t(WAITING, reference=request.id, duration=self.duration(remaining))}],
                      request.id)

    def ended(self, reference: Optional[str], now: Optional[datetime] = None) -> Opened:
        """Tell the learner the bot is back (a counsellor resolved the request, or the pause timed out)."""
        now = now or utcnow()
        request = self.store.get(reference) if reference else None
        if request is not None:
            self.store.claim_resume(request.id, now)  # told here: the worker has nothing left to do
        if request is None or request.status != OPEN:
            text = self.view.t(RESUMED_RESOLVED, reference=reference or "")
        else:
            text = self.view.t(RESUMED_TIMEOUT, reference=request.id,
                               duration=self.duration(timedelta(minutes=self.settings.pause_minutes)),
                               next_step=self.view.t(NEXT_STEP[request.contact_method], contact=request.contact or ""))
        return Opened([{"text": text}], None, {"handoff_id": None})

    def unavailable(self) -> Message:
        return {"text": self.view.t(UNAVAILABLE),
                "buttons": [{"title": self.view.t(GUIDANCE_BUTTON), "payload": "/guidance_services"}]}
