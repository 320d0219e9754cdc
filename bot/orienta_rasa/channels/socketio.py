"""The web widget's socket.io channel behind the message guard.

`OrientaSocketIOInput` (socketio_base.py: whole messages,
session persistence, allowed origins) with every `user_uttered` message
passing `MessageGuard` first (empty, too long, rate limits; see guard.py).
The per-client limit is keyed on the socket's HTTP peer address (the Sanic
request behind the socket.io session; `X-Forwarded-For` only from
`ORIENTA_TRUSTED_PROXIES`), and the browser's `Accept-Language` is the
guard reply's language when the message's metadata names none.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text, Tuple

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

from .socketio_base import OrientaSocketIOInput

from .guard import GuardedInputMixin
from .rest import client_address, header_language, trusted_proxies

# (client address, browser language) of the socket whose message is being handled
_peer: ContextVar[Tuple[Optional[str], Optional[str]]] = ContextVar("orienta_socketio_peer", default=(None, None))


def peer_of(environ: Optional[Mapping[str, Any]], proxies: Any) -> Tuple[Optional[str], Optional[str]]:
    """The client address and Accept-Language language of a socket.io connection's WSGI-style environ."""
    if not environ:
        return None, None
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR") or ""
    client = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), proxies) or None
    return client, header_language(environ.get("HTTP_ACCEPT_LANGUAGE"))


class GuardedSocketIOInput(GuardedInputMixin, OrientaSocketIOInput):
    """`OrientaSocketIOInput` whose messages pass the guard; listed in credentials.yml by module path."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GuardedSocketIOInput":
        channel = super().from_credentials(credentials)
        channel.trusted_proxies = trusted_proxies()
        return channel  # type: ignore[return-value]

    trusted_proxies: Any = ()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = self.message_guard

        async def guarded(message: UserMessage) -> None:
            client, preferred = _peer.get()
            await guard.handle(on_new_message, message, client, preferred)

        webhook = OrientaSocketIOInput.blueprint(self, guarded)
        sio = self.sio
        namespace = self.namespace or "/"
        handle_message = sio.handlers[namespace][self.user_message_evt]

        async def handle_with_peer(sid: Text, data: Any) -> None:
            token = _peer.set(peer_of(sio.get_environ(sid, namespace=namespace), self.trusted_proxies))
            try:
                await handle_message(sid, data)
            finally:
                _peer.reset(token)

        sio.on(self.user_message_evt, namespace=self.namespace)(handle_with_peer)
        return webhook
