"""Which language the conversation continues in, after the learner's latest message.

Pure rules over plain dicts (slots, Rasa's parse result with `metadata`), shared by
the Rasa server (orienta_rasa.language_policy stores the result on every turn, the
NLG speaks it) and the action server; stdlib only.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, NamedTuple, Optional

from orienta.languages import default_language, normalize_language

LANGUAGE_SLOT = "language"
CHOSEN_SLOT = "language_chosen"  # the learner asked for this language explicitly
CHANGE_LANGUAGE_INTENT = "change_language"


def requested_language(intent: Dict[str, Any], entities: Iterable[Dict[str, Any]]) -> Optional[str]:
    """The supported language a `change_language` request names, if any.

    Whenever the NLU says change_language the rules confirm the switch (utter_language_switched), so the
    request is taken at any confidence the FallbackClassifier lets through; "a Python course in Polish" is
    told apart from a request by the NLU data (find_course examples naming a course's language)."""
    if intent.get("name") != CHANGE_LANGUAGE_INTENT:
        return None
    for entity in entities or []:
        if entity.get("entity") == "language":
            code = normalize_language(entity.get("value"))
            if code:
                return code
    return None


class LanguageChoice(NamedTuple):
    language: str
    chosen_by_learner: bool


def resolve_language(
    current: Optional[str], chosen_by_learner: bool, latest_message: Dict[str, Any]
) -> LanguageChoice:
    """The language to answer in after `latest_message` (a Rasa parse result with `metadata`).

    In order: an explicit request in this message ("switch to Polish"); a
    language the learner chose earlier (it outranks the page and detection, so
    the choice sticks); the page's or channel's `metadata.language`; the
    language detected from the text; the current language (an unclear message
    such as "ok" or "AutoCAD" keeps it); the default language.
    """
    message = latest_message or {}
    requested = requested_language(message.get("intent") or {}, message.get("entities") or [])
    if requested:
        return LanguageChoice(requested, True)
    current = normalize_language(current)
    if current and chosen_by_learner:
        return LanguageChoice(current, True)
    metadata = message.get("metadata") or {}
    language = (
        normalize_language(metadata.get("language"))
        or normalize_language(message.get("language"))
        or current
        or default_language()
    )
    return LanguageChoice(language, False)


def turn_language(slots: Dict[str, Any], latest_message: Dict[str, Any]) -> str:
    """The language to speak now: the resolution of the latest message applied to the slots as they are.

    orienta_rasa.language_policy stores the result in the `language` slot, but Rasa
    logs a policy's events after the turn's first action, so that action (an
    utterance, a form, a custom action) reads the language through this. Applying
    it again to the stored slot gives the same language."""
    return resolve_language(slots.get(LANGUAGE_SLOT), bool(slots.get(CHOSEN_SLOT)), latest_message).language
