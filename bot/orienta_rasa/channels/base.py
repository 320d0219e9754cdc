"""What every Orienta messaging channel shares: one place where user messages enter Rasa, and secret checks."""
from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def same_secret(given: Optional[str], expected: Optional[str]) -> bool:
    """Constant-time comparison; nothing matches an unset secret."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def signature(key: str, *parts: str) -> str:
    """HMAC-SHA256 of the parts, hex: signs what we hand a platform so that we can trust it when it comes back."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


class DeliveringInput:
    """Mixed into the input channels: every verified user message reaches Rasa through `deliver`.

    A guard (length limit, rate limiting) wraps all channels by overriding
    `deliver` in a mixin placed first in the bases and calling `super().deliver`;
    it sees the text, sender, channel name, metadata and the output channel to
    answer on. A failure while handling a message is logged and never reaches
    the platform (which would retry the same update again and again).
    """

    async def deliver(self, on_new_message: OnNewMessage, message: UserMessage) -> None:
        try:
            await on_new_message(message)
        except Exception:  # noqa: BLE001 - the conversation and the webhook must survive any failure
            logger.exception("%s: handling a message from %s failed", message.input_channel, message.sender_id)
