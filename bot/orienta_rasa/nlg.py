"""Renders every bot response in the conversation's language from the gettext catalogs.

The domain's responses hold message ids (text, button titles, `metadata.source`),
never sentences; this generator, plugged into Rasa through `endpoints.yml`
(`nlg: type: orienta_rasa.nlg.GettextNLG`), picks the response variation as Rasa
would (channel, slot conditions), translates it and fills `{placeholders}`. It
runs inside the Rasa server, so the bot can still speak when the action server
is down.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Iterable, List, Optional, Text

from babel import Locale
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from orienta.catalogs import fill, translations_for
from orienta.conversation_language import turn_language
from orienta.languages import supported_languages

logger = logging.getLogger(__name__)


def N_(message_id: str) -> str:
    """Marks a message id used by code for extraction (`make i18n`); translation happens later."""
    return message_id


CITATION = N_("citation")  # "Source: {source}"
FALLBACK_AGAIN = N_("fallback_again")  # the second miss in a row: topics, and a person to ask
COUNSELLOR_BUTTON = N_("button.counsellor")
COUNSELLOR_PAYLOAD = "/human_handoff"
ANSWER_PREFIX = "utter_answer_"  # utter_answer_<topic> answers a knowledge topic
Translate = Callable[[str], str]


def language_name(language: str) -> str:
    """The language's own name ('polski', 'lietuvių'), from Babel's CLDR data."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def conversation_language(slots: Dict[str, Any], latest_message: Dict[str, Any]) -> str:
    """The language of this turn (orienta.conversation_language), even before the slot is stored."""
    return turn_language(slots or {}, latest_message or {})


def render_response(
    variation: Dict[str, Any], translate: Translate, values: Dict[str, Any]
) -> Dict[str, Any]:
    """Turn one domain response variation (message ids) into a message in one language."""
    text = fill(translate(variation["text"]), values) if variation.get("text") else None
    metadata = dict(variation.get("metadata") or {})
    metadata.pop("suggest_topics", None)
    metadata.pop("counsellor_after_misses", None)
    source_id = metadata.pop("source", None)
    if source_id:
        citation = fill(translate(CITATION), {"source": translate(source_id)})
        text = f"{text}\n\n{citation}" if text else citation
        metadata["citation"] = translate(source_id)
    buttons = [
        {"title": fill(translate(b["title"]), values), "payload": b.get("payload", "")}
        for b in variation.get("buttons") or []
    ]
    for topic in values.get("topic_buttons") or []:
        buttons.append({"title": translate(f"topic.{topic}.title"), "payload": f"/{topic}"})
    if values.get("offer_counsellor"):
        buttons.append({"title": translate(COUNSELLOR_BUTTON), "payload": COUNSELLOR_PAYLOAD})
    if metadata.pop("language_buttons", False):
        buttons.extend(
            {"title": language_name(code), "payload": '/change_language{"language":"%s"}' % code}
            for code in supported_languages()
        )
    return {
        "text": text,
        "buttons": buttons,
        "image": variation.get("image"),
        "elements": [],
        "attachment": None,
        "custom": variation.get("custom") or {},
        "metadata": metadata,
    }


def closest_topics(intent_ranking: Iterable[Dict[str, Any]], topics: Iterable[str], limit: int) -> List[str]:
    """The `limit` knowledge topics the classifier found closest, best first."""
    known = set(topics)
    ranked = [r.get("name") for r in intent_ranking or [] if r.get("name") in known]
    return ranked[:limit]


def consecutive_misses(tracker: DialogueStateTracker) -> int:
    """How many of the learner's latest messages in a row the NLU did not understand (nlu_fallback)."""
    misses = 0
    for event in reversed(tracker.events):
        if getattr(event, "type_name", None) == "user":
            if (event.intent or {}).get("name") != "nlu_fallback":
                break
            misses += 1
    return misses


def choose_variation(variations: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The first eligible variation: answers must be reproducible, so no random choice."""
    return variations[0] if variations else None


class GettextNLG(TemplatedNaturalLanguageGenerator):
    """Rasa NLG reading message ids from the domain and text from the catalogs.

    It extends Rasa's templated generator only so that the server hands it the
    domain's responses when it loads (or replaces) a model; rendering is its own.
    """

    def __init__(self, endpoint_config: Any = None, domain: Optional[Domain] = None) -> None:
        super().__init__(dict(domain.responses) if domain else {})

    @property
    def responses(self) -> Dict[str, List[Dict[str, Any]]]:
        return self._responses

    @responses.setter
    def responses(self, responses: Dict[str, List[Dict[str, Any]]]) -> None:
        self._responses = dict(responses or {})
        self._filter = ResponseVariationFilter(self._responses)
        self._topics = [name[len(ANSWER_PREFIX):] for name in self._responses if name.startswith(ANSWER_PREFIX)]

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        slots = tracker.current_slot_values()
        if utter_action not in self._responses:
            logger.error("No response named '%s' in the domain.", utter_action)
            return None
        variation = choose_variation(
            self._filter.responses_for_utter_action(utter_action, output_channel, slots)
        )
        if variation is None:
            return None
        parse_data = tracker.latest_message.parse_data if tracker.latest_message else {}
        language = conversation_language(slots, parse_data)
        values = {**slots, **kwargs, "language_name": language_name(language)}
        after = (variation.get("metadata") or {}).get("counsellor_after_misses")
        if after and consecutive_misses(tracker) >= int(after):
            variation = {**variation, "text": FALLBACK_AGAIN}
            values["offer_counsellor"] = True
        suggestions = (variation.get("metadata") or {}).get("suggest_topics")
        if suggestions:
            values["topic_buttons"] = closest_topics(
                parse_data.get("intent_ranking"), self._topics, int(suggestions)
            )
        return render_response(variation, translations_for(language).gettext, values)


def response_message_ids(domain_responses: Dict[str, Iterable[Dict[str, Any]]]) -> List[str]:
    """Every message id the domain's responses refer to (for extraction and tests)."""
    ids: List[str] = []
    for variations in domain_responses.values():
        for variation in variations:
            if variation.get("text"):
                ids.append(variation["text"])
            ids.extend(b["title"] for b in variation.get("buttons") or [])
            source = (variation.get("metadata") or {}).get("source")
            if source:
                ids.append(source)
    return ids
