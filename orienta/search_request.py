"""What a learner's message asks the course search for: the subject words and the filters.

The NLU marks entities (subject, course_language, mode, ects, hours, eqf_level,
country, price, position); their values may be normalised by synonyms ("en",
"online", "free") or be the learner's own words ("po angielsku", "pięć",
"under fifty"), so every value goes through the language's vocabulary. The
search text is the message without its filter words and without the words that
only say "I want a course": what is left is what the learner wants to learn.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from catalogue_index.filters import SearchFilters, eur_rates, to_eur

from .search_vocabulary import (Vocabulary, all_vocabularies, country_names, find_phrases, language_names,
                                match_name, primary_vocabularies, tokens, vocabulary)

FILTER_ENTITIES = ("course_language", "mode", "ects", "hours", "eqf_level", "country", "price")
ABOUT_HOURS = 1.25  # "a 40-hour course" accepts up to 50 hours
NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
DIGITS = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class SearchRequest:
    """One message's search: the text to search for, the filters it sets, and relative wishes."""

    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    cheaper: bool = False  # "cheaper ones": below what was shown

    @property
    def vague(self) -> bool:
        """Nothing to search for yet: no subject and no constraint."""
        return not self.query and not self.filters.active() and not self.cheaper


def _vocabularies(language: str) -> List[Vocabulary]:
    """The conversation's language first, then the others (learners mix languages)."""
    first = vocabulary(language)
    return [first] + [v for v in all_vocabularies() if v.language != first.language]


def _lookup(words: Sequence[str], tables: Iterable[Mapping]) -> Optional[Any]:
    for table in tables:
        hits = find_phrases(words, table)
        if hits:
            return hits[0][2]
    return None


def parse_number(text: str, language: str) -> Optional[float]:
    """'5', '2,5', 'five', 'pięć', 'twenty five' -> the number; None when there is none."""
    digits = DIGITS.search(text or "")
    if digits:
        return float(digits.group().replace(",", "."))
    words = [w for w, _, _ in tokens(text)]
    for vocab in _vocabularies(language):
        hits = find_phrases(words, vocab.numbers)
        if hits:
            return float(sum(value for _, _, value in hits))
    return None


def parse_position(text: str, language: str) -> Optional[int]:
    """'second', 'al doilea', '3', 'last' -> 1-based position, or -1 for the last one."""
    words = [w for w, _, _ in tokens(text)]
    for vocab in _vocabularies(language):
        value = _lookup(words, [vocab.ordinals])
        if value is not None:
            return -1 if value == "last" else int(value)
    number = parse_number(text, language)
    return int(number) if number and number >= 1 else None


def _comparator(text: str, start: int, language: str) -> Optional[str]:
    """'at_most' or 'at_least' when one of those words comes just before or after position `start`."""
    before = [w for w, s, _ in tokens(text) if s < start][-4:]
    after = [w for w, s, _ in tokens(text) if s >= start][:5]
    for vocab in _vocabularies(language):
        for words in (before, after):
            if find_phrases(words, vocab.at_most):
                return "at_most"
            if find_phrases(words, vocab.at_least):
                return "at_least"
    return None


def _currency(text: str, language: str) -> str:
    words = [w for w, _, _ in tokens(text)]
    return _lookup(words, [v.currencies for v in _vocabularies(language)]) or "EUR"


def _mode(text: str, language: str) -> Optional[str]:
    value = text.strip().lower()
    if value in ("online", "onsite", "blended"):
        return value
    return _lookup([w for w, _, _ in tokens(text)], [v.mode for v in _vocabularies(language)])


def _is_in(text: str, language: str, attribute: str) -> bool:
    words = [w for w, _, _ in tokens(text)]
    return any(find_phrases(words, getattr(v, attribute)) for v in _vocabularies(language))


def _eqf(text: str, language: str) -> Optional[int]:
    words = [w for w, _, _ in tokens(text)]
    level = _lookup(words, [v.levels for v in _vocabularies(language)])
    if level is None:
        number = parse_number(text, language)
        level = int(number) if number is not None else None
    return level if level is not None and 1 <= level <= 8 else None


def _language(value: str, language: str) -> Optional[str]:
    code = value.strip().lower()
    if len(code) == 2 and code.isalpha():
        return code
    return match_name(value, language_names())


def _country(value: str, language: str) -> Optional[str]:
    code = value.strip()
    if len(code) == 2 and code.isalpha():
        return code.upper()
    places: Dict = {}
    for vocab in _vocabularies(language):
        for name, country in vocab.places.items():
            places.setdefault(name, country)
    return match_name(value, country_names(), places)


# Entities that set one SearchFilters field: (field, normaliser of the synonym value or the learner's words).
SINGLE_VALUE = {"mode": ("mode", _mode), "country": ("country", _country), "eqf_level": ("eqf_level", _eqf)}


def _entity_text(text: str, entity: Mapping[str, Any]) -> str:
    """The learner's own words for an entity (its value may be a synonym's canonical form)."""
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(entity.get("value") or "")


def filters_from_entities(text: str, entities: Sequence[Mapping[str, Any]], language: str,
                          rates: Optional[Mapping[str, float]] = None) -> Tuple[Dict[str, Any], bool, List[Tuple[int, int]]]:
    """(SearchFilters fields, "cheaper" asked, character spans used) from the message's filter entities."""
    rates = rates or eur_rates()
    values: Dict[str, Any] = {}
    cheaper = False
    spans: List[Tuple[int, int]] = []
    for entity in entities:
        name = entity.get("entity")
        if name not in FILTER_ENTITIES:
            continue
        value = str(entity.get("value") or "")
        own = _entity_text(text, entity)
        start = entity.get("start") if isinstance(entity.get("start"), int) else len(text)
        understood = True
        if name == "course_language":
            code = _language(value, language) or _language(own, language)
            if code:
                values["languages"] = tuple(dict.fromkeys([*values.get("languages", ()), code]))
            understood = bool(code)
        elif name in SINGLE_VALUE:
            field_name, normalise = SINGLE_VALUE[name]
            found = normalise(value, language) or normalise(own, language)
            if found:
                values[field_name] = found
            understood = bool(found)
        elif name in ("ects", "hours"):
            number = parse_number(value, language)
            if number is None:
                number = parse_number(own, language)
            comparator = _comparator(text, start, language)
            if number is None:
                understood = False
            elif name == "ects":
                if comparator == "at_most":
                    values["ects_max"] = number
                elif comparator == "at_least":
                    values["ects_min"] = number
                else:
                    values["ects_min"] = values["ects_max"] = number
            elif comparator != "at_least":
                values["hours_max"] = number if comparator == "at_most" else number * ABOUT_HOURS
        elif name == "price":
            if value == "free" or _is_in(own, language, "free"):
                values["free"] = True
            elif value == "cheaper" or _is_in(own, language, "cheaper"):
                cheaper = True
            else:
                number = parse_number(value, language)
                if number is None:
                    number = parse_number(own, language)
                converted = to_eur(number, _currency(text, language), rates) if number is not None else None
                if converted is not None:
                    values["max_price_eur"] = round(converted, 2)
                understood = converted is not None
        if understood and isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
            spans.append((entity["start"], entity["end"]))
    return values, cheaper, spans


def _phrase_spans(text: str, language: str) -> List[Tuple[int, int]]:
    """Character spans of the filter and comparator phrases in `text` ("no fees", "at least", "face to face")."""
    found = tokens(text)
    words = [w for w, _, _ in found]
    spans = []
    for vocab in _vocabularies(language):
        for table in (vocab.mode, vocab.free, vocab.cheaper, vocab.at_most, vocab.at_least, vocab.currencies):
            for first, last, _ in find_phrases(words, table):
                spans.append((found[first][1], found[last - 1][2]))
    return spans


def search_text(text: str, spans: Sequence[Tuple[int, int]], language: str) -> str:
    """The message without filter spans and generic words: what the learner wants to learn."""
    generic = set()
    # The conversation's language and English only: all five would clash ("eu" is "I" in Romanian).
    for vocab in primary_vocabularies(language):
        generic |= vocab.generic | {word for number in vocab.numbers for word in number}
    kept = []
    for word, start, end in tokens(text):
        if any(s <= start < e for s, e in spans):
            continue
        if word in generic or NUMBER.match(word) or len(word) == 1 and not word.isalnum():
            continue
        kept.append(text[start:end])
    return " ".join(kept)


def parse_request(text: str, entities: Sequence[Mapping[str, Any]], language: str,
                  rates: Optional[Mapping[str, float]] = None) -> SearchRequest:
    """The search a message asks for; words the NLU did not mark ('online', 'free') still count.

    A button payload ("/find_course{...}") has no words of the learner's: only its entities count.
    """
    text = text or ""
    if text.startswith("/"):
        text = ""
    values, cheaper, spans = filters_from_entities(text, entities or [], language, rates)
    if "mode" not in values:
        mode = _mode(text, language)
        if mode:
            values["mode"] = mode
    if not values.get("free") and _is_in(text, language, "free"):
        values["free"] = True
    if not cheaper and _is_in(text, language, "cheaper"):
        cheaper = True
    query = search_text(text, spans + _phrase_spans(text, language), language)
    if not query:  # e.g. "Python" marked as the subject but also a generic word elsewhere, or a button
        query = " ".join(str(e.get("value")) for e in entities or [] if e.get("entity") == "subject" and e.get("value"))
    return SearchRequest(query=query, filters=SearchFilters(**values), cheaper=cheaper)


def cheaper_filters(filters: SearchFilters, shown_prices_eur: Iterable[Optional[float]]) -> SearchFilters:
    """'Cheaper ones': a budget below the cheapest priced offer shown; free only if all shown were free."""
    prices = [p for p in shown_prices_eur if p is not None and p > 0]
    if not prices:
        return replace(filters, free=True)
    return replace(filters, max_price_eur=round(min(prices) - 0.01, 2))
