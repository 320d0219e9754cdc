"""How the bot's messages look in a messaging channel: structure, escaping, length limits, button rows.

The bot's messages are plain text (the same for every channel). A message is
read as up to three parts: a title line (an offer card's "1. Title", or the
offer whose details these are), the body, and the citation ("Source: ...")
that knowledge answers end with. Each channel renders the parts in its own
markup, escaping catalogue text (which may contain `*`, `_`, `<`), and splits
texts longer than the platform allows at line breaks.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

# custom payloads (`json_message`) meant for rich web clients; the message texts already carry their facts
INTERNAL_JSON_TYPES = frozenset({"offer_cards", "offer_details"})
OFFER_DETAILS_PAYLOAD = "/explain_offer"
_CARD_TITLE = re.compile(r"^\d+\.\s")


def is_internal_json(json_message: Any) -> bool:
    """True for Orienta's own custom payloads, which a chat must not show."""
    return isinstance(json_message, Mapping) and json_message.get("type") in INTERNAL_JSON_TYPES


@dataclass(frozen=True)
class MessageParts:
    title: Optional[str]
    body: str
    citation: Optional[str]


def message_parts(text: Optional[str], buttons: Sequence[Mapping[str, Any]] = (),
                  extra: Optional[Mapping[str, Any]] = None) -> MessageParts:
    """Split one bot message into title, body and citation.

    `extra` is what Rasa passes along with the message: the NLG's `citation`
    (the source's name) and the action's `custom` payload.
    """
    text = (text or "").strip()
    extra = extra or {}
    citation = None
    source = extra.get("citation")
    head, separator, last = text.rpartition("\n\n")
    if source and separator and source in last:
        text, citation = head.rstrip(), last.strip()
    title = None
    first, newline, rest = text.partition("\n")
    custom = extra.get("custom")
    is_details = isinstance(custom, Mapping) and custom.get("type") == "offer_details"
    is_card = bool(_CARD_TITLE.match(first)) and any(
        str(b.get("payload", "")).startswith(OFFER_DETAILS_PAYLOAD) for b in buttons)
    if newline and (is_details or is_card):
        title, text = first, rest
    return MessageParts(title, text, citation)


# -- length limits ----------------------------------------------------------------------------------------------------

def split_lines(text: str, limit: int) -> List[str]:
    """Chunks of at most `limit` characters, cut at line breaks (a longer line is cut where it must)."""
    chunks: List[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


Styled = Tuple[str, str]  # (style, raw line): style is "title", "body" or "citation"


def styled_lines(parts: MessageParts) -> List[Styled]:
    lines: List[Styled] = []
    if parts.title:
        lines.append(("title", parts.title))
    lines.extend(("body", line) for line in parts.body.split("\n") if parts.body)
    if parts.citation:
        lines.append(("body", ""))
        lines.extend(("citation", line) for line in parts.citation.split("\n"))
    return lines


def render_chunks(parts: MessageParts, limit: int, render: Callable[[str, str], str]) -> List[str]:
    """Render the parts line by line (`render(style, raw)`), in chunks whose visible text fits `limit`."""
    chunks: List[List[Styled]] = [[]]
    size = 0
    for style, raw in styled_lines(parts):
        for piece in split_lines(raw, limit) or [""]:
            added = len(piece) + (1 if chunks[-1] else 0)
            if chunks[-1] and size + added > limit:
                chunks.append([])
                size, added = 0, len(piece)
            chunks[-1].append((style, piece))
            size += added
    rendered = ["\n".join(render(style, raw) for style, raw in chunk).strip("\n") for chunk in chunks]
    return [chunk for chunk in rendered if chunk.strip()]


# -- Telegram (parse_mode HTML: only <, > and & need escaping) --------------------------------------------------------

def telegram_line(style: str, raw: str) -> str:
    escaped = html.escape(raw, quote=False)
    if not raw.strip():
        return escaped
    if style == "title":
        return f"<b>{escaped}</b>"
    if style == "citation":
        return f"<i>{escaped}</i>"
    return escaped


TELEGRAM_TEXT_LIMIT = 4096


def telegram_html(text: Optional[str], buttons: Sequence[Mapping[str, Any]] = (),
                  extra: Optional[Mapping[str, Any]] = None, limit: int = TELEGRAM_TEXT_LIMIT) -> List[str]:
    """The Telegram HTML messages for one bot message."""
    return render_chunks(message_parts(text, buttons, extra), limit, telegram_line)


def button_rows(titles: Sequence[str], per_row: int = 3, row_chars: int = 30) -> List[List[int]]:
    """Indexes of the buttons per keyboard row: short titles share a row, a long one gets its own."""
    rows: List[List[int]] = []
    width = 0
    for index, title in enumerate(titles):
        if rows and len(rows[-1]) < per_row and width + len(title) <= row_chars:
            rows[-1].append(index)
            width += len(title)
        else:
            rows.append([index])
            width = len(title)
    return rows


# -- Mattermost (Markdown) --------------------------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>]+")
_MARKDOWN_INLINE = re.compile(r"([\\`*_~\[\]<>|])")
_MENTION = re.compile(r"@(?=\w)")
_BLOCK_START = re.compile(r"^(\s*)([#>+\-=])")
_ORDERED = re.compile(r"^(\s*\d+)([.)])(\s|$)")
WORD_JOINER = "\u2060"


def markdown_escape(raw: str) -> str:
    """Catalogue text shown literally in Mattermost: no emphasis, lists, headings, links or @-mentions from it.

    URLs are left as they are so that Mattermost still links them.
    """
    out: List[str] = []
    position = 0
    for match in _URL.finditer(raw):
        out.append(_escape_plain(raw[position:match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_escape_plain(raw[position:]))
    line = "".join(out)
    line = _ORDERED.sub(r"\1\\\2\3", line)
    return _BLOCK_START.sub(r"\1\\\2", line)


def _escape_plain(text: str) -> str:
    return _MENTION.sub("@" + WORD_JOINER, _MARKDOWN_INLINE.sub(r"\\\1", text))


def mattermost_line(style: str, raw: str) -> str:
    escaped = markdown_escape(raw)
    if not raw.strip():
        return escaped
    if style == "title":
        return f"**{escaped.strip()}**"
    if style == "citation":
        return f"_{escaped.strip()}_"
    return escaped


MATTERMOST_TEXT_LIMIT = 8000  # the server allows 16383 characters; escaping at most doubles the text


def mattermost_markdown(text: Optional[str], buttons: Sequence[Mapping[str, Any]] = (),
                        extra: Optional[Mapping[str, Any]] = None, limit: int = MATTERMOST_TEXT_LIMIT) -> List[str]:
    """The Mattermost posts (Markdown) for one bot message."""
    return render_chunks(message_parts(text, buttons, extra), limit, mattermost_line)


def titles(buttons: Iterable[Mapping[str, Any]]) -> List[str]:
    return [str(b.get("title") or b.get("payload") or "") for b in buttons]


def extra_of(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The parts of Rasa's message kwargs that shape formatting."""
    return {k: kwargs[k] for k in ("citation", "custom") if k in kwargs}
