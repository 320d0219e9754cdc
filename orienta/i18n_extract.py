"""Babel extractor for the Rasa domain: response texts, button titles and citations are message ids.

Registered as the Babel extractor `orienta_domain` (pyproject.toml) and used in babel.cfg.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple

import yaml

Extracted = Tuple[int, str, str, List[str]]


def _line_of(node: yaml.Node, wanted: str) -> int:
    """1-based line of the first scalar equal to `wanted` under `node`."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode) and current.value == wanted:
            return current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            for key, value in reversed(current.value):
                stack.extend([value, key])
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
    return 0


def message_ids(responses: Dict[str, Any]) -> Iterator[Tuple[str, str]]:
    """(response name, message id) for every translatable field of the domain's responses."""
    for name, variations in (responses or {}).items():
        for variation in variations or []:
            if variation.get("text"):
                yield name, variation["text"]
            for button in variation.get("buttons") or []:
                yield name, button["title"]
            source = (variation.get("metadata") or {}).get("source")
            if source:
                yield name, source


def extract_domain(fileobj, keywords, comment_tags, options) -> Iterator[Extracted]:
    """Babel extraction method (see Babel's `extract` protocol)."""
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    root = yaml.compose(text)
    data = yaml.safe_load(text) or {}
    for name, msgid in message_ids(data.get("responses")):
        yield _line_of(root, msgid), "_", msgid, [f"response {name}"]
