"""The gate every learner message passes before it reaches the conversation.

Any Rasa input channel hands its messages to an `on_new_message` callback;
`MessageGuard.wrap` puts a check in front of it: the text is normalised
(orienta.message_guard: NFC, no control characters or lone surrogates,
whitespace collapsed), and a message that is empty, over
`ORIENTA_MAX_MESSAGE_CHARS` or over the sender's or client address's rate
(orienta.rate_limit) is answered on the channel's own output with a short
localized reply and never enters the tracker, so the conversation is left as
it was. Channels put `GuardedInputMixin` first in their bases. Only the
browser-facing channels (REST, socket.io) pass the client's address to
`MessageGuard.handle` for the per-client limit: for Telegram or Mattermost the
"client" is the platform's server, and all its users must not share one bucket.
For the same reason a loopback address is not client-limited: that is a
reverse proxy on this host (list it in ORIENTA_TRUSTED_PROXIES so that its
clients are told apart) or a local tool such as the tests or the load generator.

The reply's language is the message's `metadata.language` (what the page or
platform says, as in orienta/conversation_language.py), else the language
detected from the text (lingua, offline), else the default language.
Nothing here logs the message text.
"""
from __future__ import annotations

import ipaddress
import logging
import math
from datetime import timedelta
from typing import Any, Awaitable, Callable, Mapping, Optional

from babel.dates import format_timedelta
from babel.numbers import format_decimal
from rasa.core.channels.channel import UserMessage

from orienta.catalogs import fill, translations_for
from orienta.languages import default_language, normalize_language, supported_languages
from orienta.message_guard import Verdict, check_message, max_message_chars, scrub
from orienta.rate_limit import Decision, RateLimiter

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
Detect = Callable[[str], Optional[str]]

DETECTION_CHARS = 300  # enough to tell the language; keeps a flood of long messages cheap


def N_(message_id: str) -> str:
    """Marks a message id for extraction (`make i18n`); translated when the reply is sent."""
    return message_id


EMPTY = N_("guard.empty")  # nothing to read in the message
TOO_LONG = N_("guard.too_long")  # {length}, {limit}
RATE_LIMITED = N_("guard.rate_limited")  # {wait}: "30 seconds", "1 minute"


class LinguaDetector:
    """The language of a text by lingua alone (the NLU's trained model lives inside the Rasa model)."""

    def __init__(self) -> None:
        self._identifier: Any = None

    def __call__(self, text: str) -> Optional[str]:
        try:
            if self._identifier is None:
                from orienta_rasa.language_id import LanguageIdentifier

                self._identifier = LanguageIdentifier(supported_languages())
            return normalize_language(self._identifier.identify(text[:DETECTION_CHARS]).language)
        except Exception:  # noqa: BLE001 - a reply in the default language beats no reply
            logger.debug("language detection for a guard reply failed", exc_info=True)
            return None


def limited_client(client: Optional[str]) -> Optional[str]:
    """The address to rate-limit, or None for no address and for loopback (see the module docstring)."""
    if not client:
        return None
    try:
        return None if ipaddress.ip_address(client).is_loopback else client
    except ValueError:
        return client


def reply_language(metadata: Any, text: Optional[str], detect: Optional[Detect],
                   preferred: Optional[str] = None) -> str:
    """`metadata.language`, else the detected language of `text`, else `preferred` (the browser's), else the default."""
    if isinstance(metadata, Mapping):
        language = normalize_language(metadata.get("language"))
        if language:
            return language
    if detect is not None and text:
        language = detect(text)
        if language:
            return language
    return normalize_language(preferred) or default_language()


def translate(language: str, message_id: str, **values: Any) -> str:
    return fill(translations_for(language).gettext(message_id), values)


def too_long_text(language: str, length: int, limit: int) -> str:
    return translate(language, TOO_LONG, length=format_decimal(length, locale=language),
                     limit=format_decimal(limit, locale=language))


def rate_limited_text(language: str, retry_after: float) -> str:
    """'... try again in 20 seconds' (Babel: the unit and its plural form in the language)."""
    wait = timedelta(seconds=max(1, math.ceil(retry_after)))
    return translate(language, RATE_LIMITED,
                     wait=format_timedelta(wait, threshold=1, format="long", locale=language))


class MessageGuard:
    """Checks one message at a time (see the module docstring); one per channel instance."""

    def __init__(self, max_chars: int, limiter: RateLimiter, detect: Optional[Detect] = None) -> None:
        self.max_chars = max_chars
        self.limiter = limiter
        self.detect = detect

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "MessageGuard":
        """Limits from ORIENTA_MAX_MESSAGE_CHARS, ORIENTA_RATE_LIMIT_SENDER and ORIENTA_RATE_LIMIT_CLIENT."""
        return cls(max_message_chars(env), RateLimiter.from_env(env), LinguaDetector())

    def refusal(self, message: UserMessage, client: Optional[str] = None,
                preferred: Optional[str] = None) -> Optional[str]:
        """The reply refusing `message`, or None when it may go on; normalises `message.text` in place.

        `client` is the sender's address (per-client limit), `preferred` a language to answer in when
        the message says none and its text tells none.
        """
        raw = message.text if isinstance(message.text, (str, bytes)) else ""
        checked = check_message(raw, self.max_chars)
        message.text = checked.text
        if isinstance(message.metadata, dict):
            message.metadata = scrub(message.metadata)  # no lone surrogates into the tracker store
        decision: Decision = self.limiter.acquire(message.sender_id, limited_client(client))
        if not decision.allowed:
            reason = "rate_limited"
            language = reply_language(message.metadata, checked.text, self.detect, preferred)
            reply = rate_limited_text(language, decision.retry_after)
        elif checked.verdict is Verdict.EMPTY:
            reason = "empty"
            reply = translate(reply_language(message.metadata, None, None, preferred), EMPTY)
        elif checked.verdict is Verdict.TOO_LONG:
            reason = "too_long"
            language = reply_language(message.metadata, checked.text, self.detect, preferred)
            reply = too_long_text(language, checked.length, checked.limit)
        else:
            return None
        logger.info("%s message refused: %s%s", message.input_channel or "a channel", reason,
                    f" ({decision.scope} limit)" if decision.scope else "")
        return reply

    async def handle(self, on_new_message: OnNewMessage, message: UserMessage,
                     client: Optional[str] = None, preferred: Optional[str] = None) -> None:
        """Pass `message` on, or answer the refusal on its output channel (the tracker is not touched)."""
        reply = self.refusal(message, client, preferred)
        if reply is None:
            await on_new_message(message)
        else:
            await message.output_channel.send_text_message(message.sender_id, reply)

    def wrap(self, on_new_message: OnNewMessage, client: Optional[str] = None,
             preferred: Optional[str] = None) -> OnNewMessage:
        """`on_new_message` behind the guard; `client` and `preferred` as in `refusal`."""
        async def guarded(message: UserMessage) -> None:
            await self.handle(on_new_message, message, client, preferred)

        return guarded


class GuardedInputMixin:
    """Put first in an InputChannel's bases: its blueprint gets the guarded callback."""

    _message_guard: Optional[MessageGuard] = None

    @property
    def message_guard(self) -> MessageGuard:
        if self._message_guard is None:
            self._message_guard = MessageGuard.from_env()
        return self._message_guard

    @message_guard.setter
    def message_guard(self, guard: MessageGuard) -> None:
        self._message_guard = guard

    def blueprint(self, on_new_message: OnNewMessage) -> Any:
        return super().blueprint(self.message_guard.wrap(on_new_message))  # type: ignore[misc]

