"""What a counsellor needs to know about a conversation, read from its events.

Only what the learner asked about, never the text of their messages: topics,
tasks, searches, offers looked at and the stacking plan. The learner agreed to
share exactly this (the consent question says so).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

TASKS = ("find_course", "refine_search", "more_results", "explain_offer", "similar_offers", "plan_stack")
MAX_ITEMS = 10


def _unique(values: Iterable[Any]) -> List[Any]:
    seen: List[Any] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen[-MAX_ITEMS:]


def conversation_summary(events: Sequence[Mapping[str, Any]], slots: Mapping[str, Any], language: str,
                         knowledge_topics: Iterable[str]) -> Dict[str, Any]:
    """A JSON-safe summary: language, topics and tasks asked, searches, offers looked at, plan."""
    topics = set(knowledge_topics)
    intents: List[str] = []
    offers: List[str] = []
    searches: List[str] = []
    user_messages = 0
    for event in events:
        kind = event.get("event")
        if kind == "user":
            user_messages += 1
            parse = event.get("parse_data") or {}
            intents.append((parse.get("intent") or {}).get("name"))
            offers.extend(e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "offer_id")
        elif kind == "slot" and event.get("name") == "search_offer":
            offers.append(event.get("value"))
        elif kind == "slot" and event.get("name") == "search_query":
            searches.append(event.get("value"))
    plan_items = [
        {k: item.get(k) for k in ("title", "offer_id", "ects", "eqf_level") if item.get(k) is not None}
        for item in slots.get("plan_items") or [] if isinstance(item, Mapping) and item.get("title")
    ]
    return {
        "language": language,
        "messages": user_messages,
        "topics": _unique(i for i in intents if i in topics),
        "tasks": _unique(i for i in intents if i in TASKS),
        "searches": _unique(s.strip() for s in searches if isinstance(s, str) and s.strip()),
        "offers": _unique(str(o) for o in offers if o),
        "plan": {"items": plan_items[:MAX_ITEMS], "goal": slots.get("plan_goal")} if plan_items else None,
    }


def with_offer_titles(summary: Mapping[str, Any], titles: Mapping[str, str]) -> Dict[str, Any]:
    """The summary with each offer as {id, title}, titled where the catalogue knows it."""
    offers = [{"id": offer_id, "title": titles.get(offer_id)} for offer_id in summary.get("offers") or []]
    return {**summary, "offers": offers}
