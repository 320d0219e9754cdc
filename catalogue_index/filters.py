"""Structured search filters over a column table of offer facets, and how to relax them.

Facets live in numpy arrays (one row per offer) so that a filter costs a few
vector operations even at 100k offers. Filters never empty a result list
silently: `FacetTable.relaxed_mask` drops the least important filter (in
RELAX_ORDER) that stands in the way, and the caller tells the learner which.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

# Indicative reference rates (EUR per unit, late 2026) to compare prices in
# different currencies; ORIENTA_EUR_RATES="RON=0.2,PLN=0.235" overrides them.
REFERENCE_EUR_RATES = {"EUR": 1.0, "RON": 0.20, "PLN": 0.235, "CZK": 0.040, "HUF": 0.0025, "BGN": 0.511,
                       "SEK": 0.088, "DKK": 0.134, "NOK": 0.085, "CHF": 1.06, "GBP": 1.17, "USD": 0.93}

# Least important first: a date or a budget gives way before the subject's form or language.
RELAX_ORDER = ("start_after", "max_price", "free", "hours_max", "ects", "eqf_level", "provider", "country",
               "mode", "languages")


def eur_rates(env: Optional[Mapping[str, str]] = None) -> Dict[str, float]:
    env = os.environ if env is None else env
    rates = dict(REFERENCE_EUR_RATES)
    for item in (env.get("ORIENTA_EUR_RATES") or "").split(","):
        code, _, value = item.partition("=")
        if code.strip() and value.strip():
            rates[code.strip().upper()] = float(value)
    return rates


def to_eur(amount: Optional[float], currency: Optional[str], rates: Mapping[str, float]) -> Optional[float]:
    if amount is None or not currency or currency.upper() not in rates:
        return None
    return float(amount) * rates[currency.upper()]


@dataclass(frozen=True)
class OfferFacets:
    """What one offer is filtered on (plain values, built from a catalogue row or a test)."""

    offer_id: str
    languages: Tuple[str, ...] = ()
    mode: Optional[str] = None
    work_based: bool = False
    ects: Optional[float] = None
    hours: Optional[float] = None
    eqf_level: Optional[int] = None
    country: Optional[str] = None
    provider: Optional[str] = None
    free: Optional[bool] = None  # None: price not stated
    price_eur: Optional[float] = None
    start_date: Optional[date] = None
    self_paced: bool = False


@dataclass(frozen=True)
class SearchFilters:
    """A learner's constraints; None (or empty) means "any"."""

    languages: Tuple[str, ...] = ()  # any of these languages of instruction
    mode: Optional[str] = None  # online, onsite, blended
    ects_min: Optional[float] = None
    ects_max: Optional[float] = None
    hours_max: Optional[float] = None
    eqf_level: Optional[int] = None
    country: Optional[str] = None
    provider: Optional[str] = None
    free: bool = False
    max_price_eur: Optional[float] = None
    start_after: Optional[date] = None  # starts on or after this date, or self-paced

    def active(self) -> List[str]:
        """Names of the filters in use, in RELAX_ORDER terms."""
        names = []
        for name in RELAX_ORDER:
            if name == "ects":
                if self.ects_min is not None or self.ects_max is not None:
                    names.append(name)
            elif name == "max_price":
                if self.max_price_eur is not None:
                    names.append(name)
            elif getattr(self, name):
                names.append(name)
        return names

    def without(self, name: str) -> "SearchFilters":
        if name == "ects":
            return replace(self, ects_min=None, ects_max=None)
        if name == "max_price":
            return replace(self, max_price_eur=None)
        default = {f.name: f.default for f in fields(self)}[name]
        return replace(self, **{name: default})

    def merged(self, newer: "SearchFilters") -> "SearchFilters":
        """These filters refined by `newer`: every constraint `newer` sets replaces the old one."""
        changes = {f.name: getattr(newer, f.name) for f in fields(newer)
                   if getattr(newer, f.name) not in (None, (), False)}
        return replace(self, **changes)

    def as_dict(self) -> Dict[str, object]:
        data = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, (), False):
                continue
            data[f.name] = value.isoformat() if isinstance(value, date) else list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Optional[Mapping[str, object]]) -> "SearchFilters":
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "languages" in values:
            values["languages"] = tuple(values["languages"] or ())
        if isinstance(values.get("start_after"), str):
            values["start_after"] = date.fromisoformat(values["start_after"])
        return cls(**values)


class FacetTable:
    """Column arrays of every offer's facets; `mask` answers a filter for all offers at once."""

    def __init__(self, rows: Sequence[OfferFacets]) -> None:
        self.offer_ids: List[str] = [row.offer_id for row in rows]
        self.position = {offer_id: n for n, offer_id in enumerate(self.offer_ids)}
        codes = sorted({code for row in rows for code in row.languages})
        self._language_bit = {code: np.uint64(1) << np.uint64(n) for n, code in enumerate(codes[:64])}
        self.languages = np.array([self._bits(row.languages) for row in rows], dtype=np.uint64)
        self.mode, self._mode_code = self._codes(row.mode or "" for row in rows)
        self.ects = self._floats(row.ects for row in rows)
        self.hours = self._floats(row.hours if row.hours is not None else
                                  (row.ects * 27.5 if row.ects is not None else None) for row in rows)
        self.eqf_level = np.array([row.eqf_level or 0 for row in rows], dtype=np.int8)
        self.country, self._country_code = self._codes((row.country or "").upper() for row in rows)
        self.provider, self._provider_code = self._codes(row.provider or "" for row in rows)
        self.free = np.array([row.free is True for row in rows], dtype=bool)
        self.price_eur = self._floats(0.0 if row.free else row.price_eur for row in rows)
        self.start = np.array([np.datetime64(row.start_date, "D") if row.start_date else np.datetime64("NaT")
                               for row in rows], dtype="datetime64[D]")
        self.self_paced = np.array([row.self_paced for row in rows], dtype=bool)

    def __len__(self) -> int:
        return len(self.offer_ids)

    @staticmethod
    def _codes(values: Iterable[str]) -> Tuple[np.ndarray, Dict[str, int]]:
        """Small integer codes for a text column (comparing ints is many times faster than comparing objects)."""
        code: Dict[str, int] = {}
        column = np.array([code.setdefault(value, len(code)) for value in values], dtype=np.int32)
        return column, code

    @staticmethod
    def _floats(values: Iterable[Optional[float]]) -> np.ndarray:
        return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)

    def _bits(self, languages: Iterable[str]) -> np.uint64:
        bits = np.uint64(0)
        for code in languages:
            bits |= self._language_bit.get(code, np.uint64(0))
        return bits

    def mask(self, filters: SearchFilters) -> np.ndarray:
        """True for every offer that meets all of `filters` (an unknown value never matches a set filter)."""
        keep = np.ones(len(self), dtype=bool)
        if filters.languages:
            keep &= (self.languages & self._bits(filters.languages)) != 0
        if filters.mode:
            keep &= self.mode == self._mode_code.get(filters.mode, -1)
        with np.errstate(invalid="ignore"):
            if filters.ects_min is not None:
                keep &= self.ects >= filters.ects_min
            if filters.ects_max is not None:
                keep &= self.ects <= filters.ects_max
            if filters.hours_max is not None:
                keep &= self.hours <= filters.hours_max
            if filters.max_price_eur is not None:
                keep &= self.price_eur <= filters.max_price_eur
        if filters.eqf_level:
            keep &= self.eqf_level == filters.eqf_level
        if filters.country:
            keep &= self.country == self._country_code.get(filters.country.upper(), -1)
        if filters.provider:
            keep &= self.provider == self._provider_code.get(filters.provider, -1)
        if filters.free:
            keep &= self.free
        if filters.start_after:
            keep &= self.self_paced | (self.start >= np.datetime64(filters.start_after, "D"))
        return keep

    def relaxed_mask(self, filters: SearchFilters) -> Tuple[np.ndarray, SearchFilters, List[str]]:
        """The mask of `filters`, dropping as few and as unimportant filters as it takes for something to match.

        Returns the mask, the filters finally applied, and the names of those dropped.
        """
        dropped: List[str] = []
        mask = self.mask(filters)
        while not mask.any() and filters.active():
            # the least important filter whose removal alone brings results back; else the least important
            name = next((n for n in filters.active() if self.mask(filters.without(n)).any()), filters.active()[0])
            filters = filters.without(name)
            dropped.append(name)
            mask = self.mask(filters)
        return mask, filters, dropped


FILTER_KEYS = ("language", "mode", "ects_min", "ects_max", "hours_max", "eqf", "country", "provider", "free",
               "max_price", "start_after")


def parse_filter_args(pairs: Sequence[str], rates: Optional[Mapping[str, float]] = None) -> SearchFilters:
    """`key=value` pairs (the `orienta search --filter` syntax) to SearchFilters; ValueError says what is wrong.

    language=en,pl  mode=online|onsite|blended  ects_min=2  ects_max=5  hours_max=40  eqf=6  country=PL
    provider=prv-...  free=yes  max_price=300 (EUR) or 1200RON  start_after=2027-03-01
    """
    rates = rates or eur_rates()
    values: Dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in FILTER_KEYS or not value:
            raise ValueError(f"bad filter {pair!r}: use key=value with key one of {', '.join(FILTER_KEYS)}")
        try:
            if key == "language":
                values["languages"] = tuple(code.strip().lower() for code in value.split(",") if code.strip())
            elif key == "mode":
                if value not in ("online", "onsite", "blended"):
                    raise ValueError("mode is online, onsite or blended")
                values["mode"] = value
            elif key in ("ects_min", "ects_max", "hours_max"):
                values[key] = float(value)
            elif key == "eqf":
                level = int(value)
                if not 1 <= level <= 8:
                    raise ValueError("EQF levels are 1 to 8")
                values["eqf_level"] = level
            elif key == "country":
                values["country"] = value.upper()
            elif key == "provider":
                values["provider"] = value
            elif key == "free":
                values["free"] = value.lower() in ("1", "yes", "true", "y")
            elif key == "max_price":
                amount = value.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ")
                currency = value[len(amount):].strip().upper() or "EUR"
                converted = to_eur(float(amount), currency, rates)
                if converted is None:
                    raise ValueError(f"unknown currency {currency}")
                values["max_price_eur"] = converted
            elif key == "start_after":
                values["start_after"] = date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"bad filter {pair!r}: {error}") from error
    return SearchFilters(**values)
