"""Cleans and classifies a learner's message before it reaches the conversation.

Channels hand over whatever a client sent: bytes that are not UTF-8, lone
surrogates from escaped JSON ("\\ud800"), NUL and other control characters,
zero-width spaces, odd line breaks, or a wall of text. `check_message` turns
that into clean NFC text and says whether it can be answered (`ok`), holds
nothing to answer (`empty`) or is over the limit (`too_long`), so the channel
can reply with a clear message instead of passing garbage on. Standard library
only: both servers (Python 3.10 and 3.11) import it.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping, Optional, Union

MAX_MESSAGE_CHARS_VARIABLE = "ORIENTA_MAX_MESSAGE_CHARS"
DEFAULT_MAX_MESSAGE_CHARS = 2000  # about a page of text; longer is almost always a paste by mistake

# Line breaks other than "\n" that clients send: CRLF, CR, NEL, LINE/PARAGRAPH SEPARATOR.
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029\x0b\x0c]")
# C0 and C1 control characters and DEL, except tab and newline; lone surrogates;
# U+FFFD (what undecodable bytes became); zero-width space, word joiner and BOM,
# which carry no meaning in a chat message. ZWJ/ZWNJ stay: emoji and scripts need them.
_DROPPED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffd\u200b\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but newline (tabs, NBSP, ideographic space...)
_BLANK_LINES = re.compile(r"\n{3,}")
# A message needs at least one character that is not a separator, control/format
# character or lone combining mark to say anything.
_SILENT_CATEGORIES = ("Z", "C", "M")


class Verdict(str, Enum):
    OK = "ok"
    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class CheckedMessage:
    text: str  # the normalised text
    verdict: Verdict
    length: int  # characters (code points) of `text`
    limit: int  # the limit it was checked against (0 = none)

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


def decode(value: Union[str, bytes, bytearray, None]) -> str:
    """Bytes as UTF-8 (undecodable bytes dropped later); None as ""; a str unchanged."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise TypeError(f"message text must be str or bytes, not {type(value).__name__}")
    return value


def normalize_text(value: Union[str, bytes, bytearray, None]) -> str:
    """NFC text with only tab/newline as control characters and whitespace collapsed.

    Spaces and tabs inside a line become one space, lines are trimmed, runs of
    blank lines become one blank line, and the ends are stripped.
    """
    text = _LINE_BREAKS.sub("\n", decode(value))
    text = _DROPPED.sub("", text)  # before NFC: normalize() rejects nothing, but surrogates are noise
    text = unicodedata.normalize("NFC", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def has_content(text: str) -> bool:
    """True when `text` has a letter, digit, symbol, punctuation or emoji (not only spaces/marks)."""
    return any(unicodedata.category(ch)[0] not in _SILENT_CATEGORIES for ch in text)


def classify(text: str, max_chars: int) -> Verdict:
    """`empty` when nothing is to be read, `too_long` past `max_chars` (0 = no limit), else `ok`."""
    if max_chars and len(text) > max_chars:
        return Verdict.TOO_LONG
    if not has_content(text):
        return Verdict.EMPTY
    return Verdict.OK


def check_message(value: Union[str, bytes, bytearray, None], max_chars: Optional[int] = None) -> CheckedMessage:
    """Normalise and classify one message; `max_chars` defaults to the configured limit."""
    limit = max_message_chars() if max_chars is None else max_chars
    text = normalize_text(value)
    return CheckedMessage(text, classify(text, limit), len(text), limit)


def max_message_chars(env: Optional[Mapping[str, str]] = None) -> int:
    """`ORIENTA_MAX_MESSAGE_CHARS` (default 2000; 0 = no limit). Raises ValueError when not a number >= 0."""
    env = os.environ if env is None else env
    raw = (env.get(MAX_MESSAGE_CHARS_VARIABLE) or "").strip()
    if not raw:
        return DEFAULT_MAX_MESSAGE_CHARS
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{MAX_MESSAGE_CHARS_VARIABLE} must be a whole number >= 0, not {raw!r}")
    return value


def scrub(value: Any, depth: int = 0, max_depth: int = 20) -> Any:
    """A JSON value (e.g. message metadata) with lone surrogates and control characters removed from strings.

    Lone surrogates cannot be encoded as UTF-8, so they would break whatever
    stores or logs the value later; nesting deeper than `max_depth` is cut off.
    """
    if isinstance(value, str):
        return _DROPPED.sub("", value)
    if depth >= max_depth:
        return None
    if isinstance(value, dict):
        return {scrub(str(k)): scrub(v, depth + 1, max_depth) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, depth + 1, max_depth) for v in value]
    return value
