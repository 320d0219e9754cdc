"""Keeps the conversation answering when the action server is down.

Rasa 3.6 treats an unreachable action server (or one answering 5xx) as a lost
action: `MessageProcessor._run_action` logs the exception, drops the action's
events and the learner gets no reply at all. Rasa has no hook for that case, so
the Rasa server calls its actions through this guard: an input channel mounted
inside the Rasa server (`POST /webhooks/action_guard/webhook`, enabled in
credentials.yml; endpoints.yml's `action_endpoint` points at it). The guard
forwards the request body untouched to the real action server and its answer
back. When the action server cannot be reached, times out or fails (any status
but 2xx and 400, which is Rasa's "action rejected"), it answers as an action
would: one message saying sorry, in the conversation's language, and no events
(except ending a form whose validation failed), so slots stay as they were and
the next message is tried against the action server again. The route wants the API token as a bearer token (endpoints.yml
sends it), so it never exposes the actions to the outside.
"""
from __future__ import annotations

import asyncio
import gzip
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, Optional, Set, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from orienta.catalogs import translations_for
from orienta_rasa import action_validation
from orienta_rasa.nlg import N_, conversation_language

logger = logging.getLogger(__name__)

APOLOGY = N_("actions.unavailable")  # "Sorry, I cannot do that right now..." (the action server is down)
NOTICE_KEY, NOTICE = "orienta_notice", "actions_unavailable"  # in the message's metadata: one apology a turn
DEFAULT_TIMEOUT = 120.0  # seconds; the first search loads the embedding model; Rasa itself would wait 300 s
FORWARDED_HEADERS = ("Content-Type", "Content-Encoding")


def slot_mapping_actions(domain: Optional[Dict[str, Any]]) -> Set[str]:
    """Custom actions that fill slots (`mappings: - type: custom`): Rasa runs them before every prediction."""
    actions: Set[str] = set()
    for slot in ((domain or {}).get("slots") or {}).values():
        for mapping in (slot or {}).get("mappings") or []:
            if mapping.get("type") == "custom" and mapping.get("action"):
                actions.add(mapping["action"])
    return actions


def form_validation_actions(domain: Optional[Dict[str, Any]]) -> Set[str]:
    """`validate_<form>` for every form: when one fails, the form is ended rather than left asking in a loop."""
    return {f"validate_{name}" for name in (domain or {}).get("forms") or {}}


def apologised_this_turn(events: Iterable[Dict[str, Any]]) -> bool:
    """Whether a bot message since the learner's latest message already said the action server is down."""
    said = False
    for event in events or []:
        if event.get("event") == "user":
            said = False
        elif event.get("event") == "bot" and (event.get("metadata") or {}).get(NOTICE_KEY) == NOTICE:
            said = True
    return said


def apology_response(call: Dict[str, Any]) -> Dict[str, Any]:
    """The action-server answer for a failed call: a localized apology (at most once a turn), no events.

    Slot-filling actions stay silent: the action that answers the learner comes next and apologises then.
    A failed form validation also ends the form.
    """
    tracker = call.get("tracker") or {}
    domain = call.get("domain")
    # a form whose validation fails ends (Rasa: ActiveLoop(None) from a validation action), so the learner is not
    # kept answering its questions; slots already filled stay
    events = [{"event": "active_loop", "name": None}] if call.get("next_action") in form_validation_actions(
        domain) else []
    if call.get("next_action") in slot_mapping_actions(domain) or apologised_this_turn(tracker.get("events")):
        return {"events": events, "responses": []}
    language = conversation_language(tracker.get("slots") or {}, tracker.get("latest_message") or {})
    text = translations_for(language).gettext(APOLOGY)
    return {"events": events, "responses": [{"text": text, NOTICE_KEY: NOTICE}]}


def decode_call(body: bytes) -> Dict[str, Any]:
    """The action call Rasa sent (JSON, possibly gzip-compressed); {} if unreadable."""
    try:
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        call = json.loads(body)
        return call if isinstance(call, dict) else {}
    except (OSError, ValueError):
        return {}


def passes_through(status: int) -> bool:
    """Answers Rasa should see as they are: success, and 400 (the action rejected itself, e.g. a form)."""
    return 200 <= status < 300 or status == 400


class ActionGuardInput(InputChannel):
    """`credentials.yml`: `orienta_rasa.action_guard.ActionGuardInput: {url, token, timeout}`."""

    @classmethod
    def name(cls) -> Text:
        return "action_guard"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ActionGuardInput":
        credentials = credentials or {}
        if not credentials.get("url") or not credentials.get("token"):
            cls.raise_missing_credentials_exception()
        action_validation.install()  # Rasa's own check of each answer costs ~50 ms otherwise
        return cls(credentials["url"], str(credentials["token"]), float(credentials.get("timeout") or DEFAULT_TIMEOUT))

    def __init__(self, url: str, token: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        """One pooled client per server (created inside the server's event loop), kept alive between calls."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def forward(self, body: bytes, headers: Dict[str, str]) -> HTTPResponse:
        """The action server's answer, or the apology when it cannot give one."""
        problem: str
        try:
            async with self._client().post(self.url, data=body, headers=headers) as answer:
                payload = await answer.read()
                if passes_through(answer.status):
                    return response.raw(payload, status=answer.status,
                                        content_type=answer.headers.get("Content-Type", "application/json"))
                problem = f"status {answer.status}: {payload[:300]!r}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            problem = f"{type(error).__name__}: {error}"
        call = decode_call(body)
        logger.error("The action server at %s failed running %r (%s); the learner is told so.",
                     self.url, call.get("next_action"), problem)
        return response.json(apology_response(call))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = Blueprint("action_guard", __name__)

        @guard.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return response.json({"error": "forbidden"}, status=403)
            headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
            return await self.forward(request.body, headers)

        @guard.listener("after_server_stop")
        async def close(app: Any, loop: Any) -> None:
            if self._session is not None:
                await self._session.close()

        return guard
