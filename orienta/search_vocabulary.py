"""The words course search understands in each language: `data/search/<lang>.yml` plus Babel's CLDR names.

Adding a language is data: a vocabulary file next to the others. Names of
languages and countries are not listed there; they come from CLDR in every
supported language, so "po angielsku", "în engleză" and "anglų" all name
English and "Slovenija", "Słowenia" and "Slovénie" name SI.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import yaml
from babel import Locale

from orienta.languages import PROJECT_ROOT, supported_languages

# Languages of instruction and countries a learner may ask for: the EU's and its neighbours'.
INSTRUCTION_LANGUAGES = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt",
                         "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "ru", "uk", "tr", "no", "is", "ca",
                         "sr", "sq", "mk", "bs", "ar", "zh", "ja")
COUNTRIES = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
             "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "GB", "MD", "UA",
             "RS", "AL", "MK", "ME", "BA", "TR")
STEM = 5  # an inflected form matches a CLDR name when they share this many first letters
Phrase = Tuple[str, ...]


def vocabulary_dir() -> Path:
    """`ORIENTA_SEARCH_VOCABULARY_DIR`, default `data/search/` in the project."""
    return Path(os.environ.get("ORIENTA_SEARCH_VOCABULARY_DIR", PROJECT_ROOT / "data" / "search"))


def fold(text: str) -> str:
    """Lower case without diacritics ('Ląd' -> 'lad', 'ș'/'ş' -> 's'), for matching what learners type."""
    text = text.casefold().replace("ł", "l").replace("đ", "d").replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


TOKEN = re.compile(r"\d+[.,]\d+|[\w'’.-]*\w|[€$£]", re.UNICODE)


def tokens(text: str) -> List[Tuple[str, int, int]]:
    """(folded word, start, end) for each word of `text`; apostrophes and hyphens stay inside words."""
    return [(fold(m.group()).replace("’", "'"), m.start(), m.end()) for m in TOKEN.finditer(text or "")]


def phrase(text: str) -> Phrase:
    return tuple(word for word, _, _ in tokens(str(text)))


@dataclass(frozen=True)
class Vocabulary:
    """One language's search words, folded, as word tuples."""

    language: str
    generic: frozenset = frozenset()
    mode: Mapping[Phrase, str] = field(default_factory=dict)
    free: frozenset = frozenset()
    cheaper: frozenset = frozenset()
    at_most: frozenset = frozenset()
    at_least: frozenset = frozenset()
    numbers: Mapping[Phrase, float] = field(default_factory=dict)
    ordinals: Mapping[Phrase, Union[int, str]] = field(default_factory=dict)
    currencies: Mapping[Phrase, str] = field(default_factory=dict)
    levels: Mapping[Phrase, int] = field(default_factory=dict)
    places: Mapping[Phrase, str] = field(default_factory=dict)
    done: frozenset = frozenset()  # "that's all": the end of a list (stacking planner)
    no_goal: frozenset = frozenset()
    credit_words: frozenset = frozenset()  # words marking a number as ECTS credits
    level_words: frozenset = frozenset()  # words marking a number as an EQF level
    chat_contact: frozenset = frozenset()  # "here in the chat": how to be contacted (handoff)

    @classmethod
    def from_mapping(cls, data: Mapping) -> "Vocabulary":
        def phrases(items: Iterable) -> frozenset:
            return frozenset(p for p in (phrase(i) for i in items or ()) if p)

        def table(items: Mapping, convert=lambda v: v) -> Dict[Phrase, object]:
            return {phrase(k): convert(v) for k, v in (items or {}).items() if phrase(k)}

        modes = {phrase(p): mode for mode, words in (data.get("mode") or {}).items() for p in words if phrase(p)}
        return cls(
            language=data["language"], generic=frozenset(w for p in phrases(data.get("generic")) for w in p),
            mode=modes, free=phrases(data.get("free")), cheaper=phrases(data.get("cheaper")),
            at_most=phrases(data.get("at_most")), at_least=phrases(data.get("at_least")),
            numbers=table(data.get("numbers"), float), ordinals=table(data.get("ordinals")),
            currencies=table(data.get("currencies"), str.upper), levels=table(data.get("levels"), int),
            places=table(data.get("places"), str.upper), done=phrases(data.get("done")),
            no_goal=phrases(data.get("no_goal")),
            credit_words=frozenset(w for p in phrases(data.get("credit_words")) for w in p),
            level_words=frozenset(w for p in phrases(data.get("level_words")) for w in p),
            chat_contact=phrases(data.get("chat_contact")))


@lru_cache(maxsize=None)
def _load(directory: Path, language: str) -> Vocabulary:
    path = directory / f"{language}.yml"
    if not path.exists():
        return Vocabulary(language)
    # BaseLoader: every scalar a string, so that "on", "no" and "yes" stay words, not booleans.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    return Vocabulary.from_mapping({"language": language, **data})


def vocabulary(language: str) -> Vocabulary:
    return _load(vocabulary_dir(), language)


def primary_vocabularies(language: str) -> List[Vocabulary]:
    """The conversation language's vocabulary and English's (learners mix English in)."""
    first = vocabulary(language)
    return [first] + ([vocabulary("en")] if first.language != "en" else [])


def all_vocabularies() -> List[Vocabulary]:
    return [vocabulary(code) for code in supported_languages()]


@lru_cache(maxsize=None)
def _cldr_names(kind: str, codes: Tuple[str, ...], languages: Tuple[str, ...]) -> Dict[Phrase, str]:
    names: Dict[Phrase, str] = {}
    for language in languages:
        table = getattr(Locale.parse(language), kind)
        for code in codes:
            name = table.get(code)
            if name:
                names.setdefault(phrase(name), code)
    for code in codes:
        names.setdefault((code.lower(),), code)
    return names


def language_names() -> Dict[Phrase, str]:
    """Every supported language's CLDR name of every language of instruction -> its code."""
    return _cldr_names("languages", INSTRUCTION_LANGUAGES, supported_languages())


def country_names() -> Dict[Phrase, str]:
    return _cldr_names("territories", COUNTRIES, supported_languages())


def find_phrases(words: Sequence[str], table: Union[Mapping[Phrase, object], frozenset]) -> List[Tuple[int, int, object]]:
    """(first word, end word, value) of every phrase of `table` in `words`, longest first, not overlapping."""
    found, taken = [], set()
    lengths = sorted({len(p) for p in table}, reverse=True)
    for length in lengths:
        for start in range(len(words) - length + 1):
            candidate = tuple(words[start:start + length])
            if candidate in table and not taken & set(range(start, start + length)):
                value = table[candidate] if isinstance(table, Mapping) else candidate
                found.append((start, start + length, value))
                taken.update(range(start, start + length))
    return sorted(found)


def match_name(text: str, names: Mapping[Phrase, str], extra: Optional[Mapping[Phrase, str]] = None) -> Optional[str]:
    """The code a learner's words name: an exact name or place first, else a word sharing a stem with a name.

    "in English", "po polsku", "v Sloveniji" and "Vilniuje" are all matched; the
    stem rule covers inflected forms without listing them.
    """
    words = [w for w in phrase(text)]
    for table in (extra or {}, names):
        hits = find_phrases(words, table)
        if hits:
            return hits[0][2]
    stems: Dict[str, set] = {}
    for name, code in names.items():
        for word in name:
            if len(word) >= STEM:
                stems.setdefault(word[:STEM], set()).add(code)
    for word in words:
        codes = stems.get(word[:STEM]) if len(word) >= STEM else None
        if codes and len(codes) == 1:
            return next(iter(codes))
    return None


def message_is(text: str, language: str, attribute: str) -> bool:
    """True when the message is one of a vocabulary's phrases (give or take two words: "ok, that's all")."""
    words = [w for w, _, _ in tokens(text) if w.isalnum() or "'" in w]
    for vocab in primary_vocabularies(language):
        hits = find_phrases(words, getattr(vocab, attribute))
        if hits and len(words) - sum(end - start for start, end, _ in hits) <= 2:
            return True
    return False
