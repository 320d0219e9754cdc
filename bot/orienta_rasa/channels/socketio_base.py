"""Rasa's socket.io channel, with an output that keeps Orienta's messages whole.

Rasa 3.6's `SocketIOOutput` has two problems for this bot:
- `send_custom_json` calls `sio.emit(event, **json_message)`, so a custom payload
  such as `{"type": "offer_cards", "cards": [...]}` raises a TypeError (emit has
  no `type` argument) and the learner's message is lost;
- its `session_request` handler calls `sio.enter_room(...)` without `await`; with
  python-socketio 5.x (requirements/rasa.lock) that is a coroutine, so the client
  never joins its session's room and, with `session_persistence`, never gets an answer;
- it drops the message metadata (`metadata.citation`) and splits texts at blank
  lines, so a knowledge answer's "Source: ..." line cannot be told from the answer;
- it creates its socket.io server with `cors_allowed_origins=[]` (leaving CORS to
  Sanic's `--cors`), which also turns off the Origin check, so a WebSocket from any
  page is accepted. With `allowed_origins` in the credentials, a browser connection
  whose Origin is not listed is refused (clients that send no Origin are not browsers
  on another site and are let through).

This channel is the stock `SocketIOInput` (same credentials, same protocol:
`session_request`/`session_confirm`, `user_uttered`/`bot_uttered`) whose output
sends each bot message as one event: `{"text", "quick_replies", "metadata"}` and
custom payloads as `{"custom": {...}}`. The web widget (widget/) reads exactly that.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

logger = logging.getLogger(__name__)


def _metadata(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    metadata = kwargs.get("metadata")
    return dict(metadata) if isinstance(metadata, dict) else {}


def text_message(text: Text, buttons: Optional[List[Dict[str, Any]]], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """One bot message as the widget receives it (buttons in Rasa's socket.io `quick_replies` shape)."""
    message: Dict[str, Any] = {"text": text}
    if buttons:
        message["quick_replies"] = [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons
        ]
    metadata = _metadata(kwargs)
    if metadata:
        message["metadata"] = metadata
    return message


def user_metadata(data: Any, key: Text) -> Dict[str, Any]:
    """The message's metadata (a dict or a JSON object string); anything else is ignored, never a crash."""
    metadata = data.get(key) if isinstance(data, dict) else None
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    return metadata if isinstance(metadata, dict) else {}


class OrientaSocketIOOutput(SocketIOOutput):
    """Sends every bot message as one `bot_uttered` event (see the module docstring)."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, text_message(text, None, kwargs))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, text_message(text or "", buttons, kwargs))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


def origin_allowed(origin: Optional[str], allowed: Optional[Iterable[str]]) -> bool:
    """No list: anything (Rasa's behaviour); a list: a browser's Origin must be in it."""
    if allowed is None or not origin:
        return True
    return origin.rstrip("/") in {a.rstrip("/") for a in allowed}


class OrientaSocketIOInput(SocketIOInput):
    """`SocketIOInput` answering through `OrientaSocketIOOutput`; listed in credentials.yml by module path."""

    allowed_origins: Optional[List[str]] = None

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "OrientaSocketIOInput":
        channel = super().from_credentials(credentials)
        origins = (credentials or {}).get("allowed_origins")
        channel.allowed_origins = [str(o) for o in origins] if isinstance(origins, list) else None
        return channel

    def get_output_channel(self) -> Optional[OrientaSocketIOOutput]:
        if self.sio is None:
            return None
        return OrientaSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio

        # These replace the stock handlers for the same events (python-socketio keeps one per event).
        stock_connect = sio.handlers[self.namespace or "/"]["connect"]

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not origin_allowed(origin, self.allowed_origins):
                logger.warning("socket.io connection from %s refused (not in ORIENTA_ALLOWED_ORIGINS).", origin)
                return False
            return await stock_connect(sid, environ, auth)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = str(requested) if requested else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            if self.session_persistence:
                if not data.get("session_id"):
                    logger.warning("A socket.io message without a session_id was ignored (send session_request).")
                    return
                sender_id = str(data["session_id"])
            else:
                sender_id = sid
            message = UserMessage(
                str(data.get("message") or ""),
                OrientaSocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=user_metadata(data, self.metadata_key),
            )
            await on_new_message(message)

        return socketio_webhook
