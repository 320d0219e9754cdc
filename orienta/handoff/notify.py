"""Counsellor notifications: the request rendered for a team's incoming webhook, and delivery.

Formats: Slack and Mattermost incoming webhooks (`text` in Markdown, Mattermost
reads Slack's format too) and Microsoft Teams (an Adaptive Card, as Teams
workflows' "post to a channel when a webhook request is received" expects).
Texts are in the counsellors' language, from the catalogs.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Mapping, Optional, Tuple

import httpx

from orienta.catalogs import fill, translations_for


def N_(message_id: str) -> str:
    return message_id


TITLE = N_("handoff.notify.title")
LABELS = {
    "language": N_("handoff.notify.language"),
    "contact": N_("handoff.notify.contact"),
    "topics": N_("handoff.notify.topics"),
    "searches": N_("handoff.notify.searches"),
    "offers": N_("handoff.notify.offers"),
    "plan": N_("handoff.notify.plan"),
}
CONTACT_METHODS = {
    "email": N_("handoff.notify.by_email"),
    "phone": N_("handoff.notify.by_phone"),
    "chat": N_("handoff.notify.in_chat"),
}
NOTHING = N_("handoff.notify.nothing")
PLAN_GOAL = N_("handoff.notify.plan_goal")
RESOLVE_HINT = N_("handoff.notify.resolve_hint")


def facts(request: Mapping[str, Any], language: str) -> Tuple[str, List[Tuple[str, str]], str]:
    """Title, (label, value) rows and the closing hint of one request, in `language`."""
    from babel import Locale

    translate = translations_for(language).gettext
    summary = request.get("summary") or {}
    conversation_language = summary.get("language") or request.get("language") or ""
    try:
        language_name = Locale.parse(conversation_language).get_display_name(language) or conversation_language
    except (ValueError, TypeError):
        language_name = conversation_language
    method = request.get("contact_method") or "chat"
    contact = fill(translate(CONTACT_METHODS.get(method, CONTACT_METHODS["chat"])),
                   {"contact": request.get("contact") or "", "sender": request.get("sender_id") or ""})

    def listed(values: List[str]) -> str:
        return "; ".join(values) if values else translate(NOTHING)

    topics = [translate(f"topic.{topic}.title") for topic in summary.get("topics") or []]
    offers = [f"{o.get('title') or o.get('id')} ({o.get('id')})" if isinstance(o, Mapping) else str(o)
              for o in summary.get("offers") or []]
    plan = summary.get("plan") or {}
    plan_text = listed([item.get("title", "") + (f" ({item['ects']:g} ECTS)" if item.get("ects") else "")
                        for item in plan.get("items") or []])
    if plan.get("goal"):
        plan_text += " · " + fill(translate(PLAN_GOAL), {"goal": plan["goal"]})
    rows = [
        (translate(LABELS["language"]), language_name),
        (translate(LABELS["contact"]), contact),
        (translate(LABELS["topics"]), listed(topics)),
        (translate(LABELS["searches"]), listed(list(summary.get("searches") or []))),
        (translate(LABELS["offers"]), listed(offers)),
        (translate(LABELS["plan"]), plan_text),
    ]
    title = fill(translate(TITLE), {"reference": request.get("id", "")})
    hint = fill(translate(RESOLVE_HINT), {"reference": request.get("id", "")})
    return title, rows, hint


def _markdown_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(request: Mapping[str, Any], webhook_format: str, language: str) -> Dict[str, Any]:
    """The JSON body for the counsellors' incoming webhook."""
    title, rows, hint = facts(request, language)
    if webhook_format == "teams":
        return {
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard", "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
                        {"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in rows]},
                        {"type": "TextBlock", "text": hint, "isSubtle": True, "wrap": True},
                    ],
                },
            }],
        }
    lines = [f"**{_markdown_escape(title)}**"] + [f"- **{_markdown_escape(label)}:** {_markdown_escape(value)}"
                                                  for label, value in rows] + [_markdown_escape(hint)]
    text = "\n".join(lines)
    if webhook_format == "mattermost":
        return {"text": text, "username": "Orienta"}
    # Slack's mrkdwn marks bold with single asterisks.
    return {"text": text.replace("**", "*")}


def deliver(client: httpx.Client, url: str, payload: Mapping[str, Any], timeout: float) -> Optional[str]:
    """Post one notification; None when the receiver accepted it (2xx), else what went wrong."""
    try:
        response = client.post(url, json=payload, timeout=timeout)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


def retry_delay(attempts: int, first_seconds: float, max_seconds: float) -> timedelta:
    """Exponential back-off after `attempts` failed deliveries (1, 2, ...), capped; never infinite."""
    return timedelta(seconds=min(max_seconds, first_seconds * (2 ** max(0, attempts - 1))))
