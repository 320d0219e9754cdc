"""Rasa's REST channel (`POST /webhooks/rest/webhook`) behind the message guard, with clear 400s for bad bodies.

Rasa's own `RestInput` trusts the body: a body that is not JSON gets Sanic's
plain-text error, one that is not an object or has a non-string `message` or
`sender` raises inside the handler. This channel answers every malformed
request with a 400 (413 past `ORIENTA_MAX_REQUEST_BYTES`) and a JSON body
`{"error": "<code>", "message": "<localized explanation>"}` in the language of
`metadata.language`, else the `Accept-Language` header, else the default.
Well-formed messages go through `MessageGuard` (empty, too long, rate limits;
see guard.py) and then to the conversation exactly as with `RestInput`
(same name "rest", same URL, same `?stream=true`).

The per-client rate limit is keyed on the peer address; `X-Forwarded-For` is
honoured only when the peer is listed in `ORIENTA_TRUSTED_PROXIES`.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
from asyncio import CancelledError
from typing import Any, Dict, List, Mapping, Optional, Sequence, Text, Union

from babel.numbers import format_decimal
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from orienta.languages import default_language, normalize_language
from orienta.message_guard import has_content, scrub

from .guard import N_, GuardedInputMixin, OnNewMessage, reply_language, translate

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES_VARIABLE = "ORIENTA_MAX_REQUEST_BYTES"
DEFAULT_MAX_REQUEST_BYTES = 65536  # a 2000-character message escaped as \\uXXXX is ~24 KB
TRUSTED_PROXIES_VARIABLE = "ORIENTA_TRUSTED_PROXIES"
MAX_SENDER_CHARS = 128

ERRORS = {  # error code -> message id
    "too_large": N_("rest.error.too_large"),
    "not_utf8": N_("rest.error.not_utf8"),
    "not_json": N_("rest.error.not_json"),
    "not_an_object": N_("rest.error.not_an_object"),
    "sender": N_("rest.error.sender"),
    "message": N_("rest.error.message"),
    "metadata": N_("rest.error.metadata"),
}
FAILED = N_("guard.failed")  # the conversation failed on a message: apologise instead of answering nothing

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class BadRequest(Exception):
    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def max_request_bytes(env: Optional[Mapping[str, str]] = None) -> int:
    """`ORIENTA_MAX_REQUEST_BYTES` (default 65536). ValueError when not a number > 0."""
    env = os.environ if env is None else env
    raw = (env.get(MAX_REQUEST_BYTES_VARIABLE) or "").strip()
    if not raw:
        return DEFAULT_MAX_REQUEST_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_REQUEST_BYTES_VARIABLE} must be a whole number > 0, not {raw!r}")
    return int(raw)


def trusted_proxies(env: Optional[Mapping[str, str]] = None) -> List[Network]:
    """`ORIENTA_TRUSTED_PROXIES`: addresses or networks, comma- or space-separated (default: none)."""
    env = os.environ if env is None else env
    networks = []
    for item in (env.get(TRUSTED_PROXIES_VARIABLE) or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{TRUSTED_PROXIES_VARIABLE}: {item!r} is not an IP address or network") from None
    return networks


def _address(text: str) -> Optional[ipaddress._BaseAddress]:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: Optional[str], trusted: Sequence[Network]) -> str:
    """The client's address: the peer, or, behind trusted proxies, the last untrusted hop of X-Forwarded-For."""
    current = _address(peer or "")
    if current is None or not forwarded_for:
        return peer or ""
    if not any(current in network for network in trusted):
        return peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            break  # a forged or garbled entry: stop at the last proxy we trust
        current = address
        if not any(address in network for network in trusted):
            break
    return str(current)


def header_language(accept_language: Optional[str]) -> Optional[str]:
    """The first supported language of an Accept-Language header ('pl-PL,pl;q=0.9,en;q=0.8' -> 'pl')."""
    weighted = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = normalize_language(tag)
        if code and quality > 0:
            weighted.append((-quality, position, code))
    return min(weighted)[2] if weighted else None


def parse_body(body: bytes, limit: int) -> Dict[str, Any]:
    """The request's JSON object, or BadRequest naming what is wrong with it."""
    if len(body) > limit:
        raise BadRequest("too_large", 413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("not_utf8") from None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("not_json") from None
    if not isinstance(payload, dict):
        raise BadRequest("not_an_object")
    return payload


def metadata_of(payload: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    metadata = payload.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise BadRequest("metadata")
    return scrub(metadata)


def sender_of(payload: Mapping[str, Any]) -> str:
    """A non-empty id of at most 128 characters without control characters (numbers are accepted as text)."""
    sender = payload.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str):
        raise BadRequest("sender")
    cleaned = scrub(sender).strip()
    if cleaned != sender.strip() or not has_content(cleaned) or len(cleaned) > MAX_SENDER_CHARS:
        raise BadRequest("sender")
    return cleaned


def message_of(payload: Mapping[str, Any]) -> str:
    message = payload.get("message")
    if not isinstance(message, str):
        raise BadRequest("message")
    return message


def error_response(code: str, status: int, language: str) -> HTTPResponse:
    text = translate(language, ERRORS[code], limit=format_decimal(MAX_SENDER_CHARS, locale=language))
    return response.json({"error": code, "message": text}, status=status)


class GuardedRestInput(GuardedInputMixin, RestInput):
    """`RestInput` with body validation and the message guard (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self, env: Optional[Mapping[str, str]] = None) -> None:
        self.max_request_bytes = max_request_bytes(env)
        self.trusted_proxies = trusted_proxies(env)

    def client_of(self, request: Request) -> str:
        return client_address(request.ip or "", request.headers.get("x-forwarded-for"), self.trusted_proxies)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            preferred = header_language(request.headers.get("accept-language"))
            language = preferred or default_language()
            try:
                payload = parse_body(request.body or b"", self.max_request_bytes)
                metadata = metadata_of(payload)
                if metadata and normalize_language(metadata.get("language")):
                    language = reply_language(metadata, None, None)
                sender, text = sender_of(payload), message_of(payload)
            except BadRequest as error:
                logger.info("REST request refused: %s", error.code)
                return error_response(error.code, error.status, language)
            input_channel = payload.get("input_channel")
            if not isinstance(input_channel, str) or not input_channel.strip():
                input_channel = self.name()
            guarded = self.message_guard.wrap(on_new_message, self.client_of(request), preferred)
            if _stream_requested(request):
                return response.stream(
                    self.stream_response(guarded, text, sender, input_channel, metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await guarded(UserMessage(text, collector, sender, input_channel=input_channel, metadata=metadata))
            except CancelledError:
                logger.error("REST: handling a message timed out")
            except Exception:  # noqa: BLE001 - answer something; the text is not logged
                logger.exception("REST: handling a message failed")
                if not collector.messages:
                    await collector.send_text_message(sender, translate(language, FAILED))
            return response.json(collector.messages)

        return webhook


def _stream_requested(request: Request) -> bool:
    value = request.args.get("stream")
    return isinstance(value, str) and value.lower() == "true"
