"""Offline language identification for short chat messages.

Two opinions are averaged: lingua's statistical models (good on longer text)
and a character n-gram classifier trained on the bot's own NLU examples, which
knows the short, domain-specific messages lingua struggles with ("labas",
"aciu", "salut"). A message is only assigned a language when the combined
evidence is clear; otherwise the caller keeps the conversation's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

UNDETERMINED = "und"  # BCP 47 tag for "language not determined"


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # a supported code or UNDETERMINED
    confidence: float
    ranking: List[Dict[str, float]]


class LanguageIdentifier:
    """Combines lingua with a trainable char n-gram model over the given languages."""

    def __init__(
        self,
        languages: Sequence[str],
        min_confidence: float = 0.6,
        min_margin: float = 0.25,
    ) -> None:
        self.languages = list(languages)
        self.min_confidence = min_confidence
        self.min_margin = min_margin
        self._classifier = None
        self._lingua = None

    # -- training -----------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "LanguageIdentifier":
        """Train the n-gram model on labelled examples (labels outside `languages` are ignored)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        pairs = [(t, l) for t, l in zip(texts, labels) if l in self.languages and t.strip()]
        if len({l for _, l in pairs}) < 2:
            self._classifier = None
            return self
        model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), lowercase=True, sublinear_tf=True),
            LogisticRegression(C=10.0, max_iter=2000),
        )
        model.fit([t for t, _ in pairs], [l for _, l in pairs])
        self._classifier = model
        return self

    # -- prediction ---------------------------------------------------------
    def _lingua_detector(self):
        if self._lingua is None:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in self.languages]
            self._lingua = LanguageDetectorBuilder.from_languages(*langs).build()
        return self._lingua

    def _lingua_probs(self, text: str) -> Dict[str, float]:
        values = self._lingua_detector().compute_language_confidence_values(text)
        probs = {code: 0.0 for code in self.languages}
        for value in values:
            code = value.language.iso_code_639_1.name.lower()
            if code in probs:
                probs[code] = float(value.value)
        return probs

    def _classifier_probs(self, text: str) -> Optional[Dict[str, float]]:
        if self._classifier is None:
            return None
        proba = self._classifier.predict_proba([text])[0]
        probs = {code: 0.0 for code in self.languages}
        for code, p in zip(self._classifier.classes_, proba):
            probs[str(code)] = float(p)
        return probs

    def identify(self, text: str) -> LanguageGuess:
        """Rank the languages for `text`; UNDETERMINED when the evidence is unclear."""
        cleaned = (text or "").strip()
        if not cleaned or cleaned.startswith("/") or not any(ch.isalpha() for ch in cleaned):
            return LanguageGuess(UNDETERMINED, 0.0, [])
        opinions = [self._lingua_probs(cleaned)]
        learned = self._classifier_probs(cleaned)
        if learned is not None:
            opinions.append(learned)
        combined = {
            code: sum(op.get(code, 0.0) for op in opinions) / len(opinions) for code in self.languages
        }
        ranking = sorted(combined.items(), key=lambda kv: kv[1], reverse=True)
        best, best_p = ranking[0]
        second_p = ranking[1][1] if len(ranking) > 1 else 0.0
        ranked = [{"name": code, "confidence": round(p, 4)} for code, p in ranking]
        if best_p < self.min_confidence or best_p - second_p < self.min_margin:
            return LanguageGuess(UNDETERMINED, round(best_p, 4), ranked)
        return LanguageGuess(best, round(best_p, 4), ranked)

    # -- persistence --------------------------------------------------------
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_lingua"] = None  # rebuilt lazily; not picklable
        return state
