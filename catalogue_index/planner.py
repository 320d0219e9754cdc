"""Stacking planner: what a learner's credentials count towards, what is missing, and the cheapest and shortest ways on.

Pure functions over plain values (`OfferFacts`, `PathwayFacts`), so the
arithmetic is tested without a database; `load_planning_facts` reads them from
the store. The planner never decides recognition: an external credential is
only ever a *candidate* to stand in for a component (same or higher EQF level,
at least its ECTS), to be decided by the host organisation (Annex II,
principle 5) through its recognition procedure.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .filters import eur_rates, to_eur
from .models import Offer, Pathway, PathwayRule, RecognitionStatement

HOURS_PER_ECTS = 27.5  # ECTS users' guide: 25-30 hours of work per credit
EXACT_SUBSET_LIMIT = 12  # up to 2^12 subsets are searched exactly; larger sets greedily


@dataclass(frozen=True)
class OfferFacts:
    offer_id: str
    ects: Optional[float] = None
    hours: Optional[float] = None
    eqf_level: Optional[int] = None
    price_eur: Optional[float] = None  # 0 when free; None when not stated
    prerequisites: Tuple[str, ...] = ()

    @property
    def workload_hours(self) -> float:
        if self.hours:
            return self.hours
        return (self.ects or 0) * HOURS_PER_ECTS


@dataclass(frozen=True)
class RuleFacts:
    kind: str  # all_of | any_n_of | min_ects_from_set
    offers: Tuple[str, ...]
    n: Optional[int] = None
    min_ects: Optional[float] = None


@dataclass(frozen=True)
class PathwayFacts:
    pathway_id: str
    rules: Tuple[RuleFacts, ...]
    ects: Optional[float] = None
    eqf_level: Optional[int] = None
    prerequisites: Tuple[Tuple[str, str], ...] = ()  # (offer, offer it requires) within the pathway

    @property
    def components(self) -> List[str]:
        return list(dict.fromkeys(o for rule in self.rules for o in rule.offers))


@dataclass(frozen=True)
class ExternalCredential:
    """A credential from outside the catalogue, as the learner describes it."""

    title: str
    ects: Optional[float] = None
    eqf_level: Optional[int] = None


@dataclass
class RuleStatus:
    rule: RuleFacts
    counted: List[str]  # held offers this rule counts
    met: bool
    still_needed: int = 0  # any_n_of: offers; all_of: offers
    ects_collected: float = 0.0
    ects_needed: float = 0.0  # min_ects_from_set: credits still missing


@dataclass
class Completion:
    """Offers to take so that every rule is met, with their total price (EUR) and workload."""

    offers: List[str]
    price_eur: Optional[float]  # None when a chosen offer has no stated price
    ects: float
    hours: float


@dataclass
class PathwayPlan:
    pathway: PathwayFacts
    counted: List[str]
    ects_collected: float
    rules: List[RuleStatus]
    cheapest: Optional[Completion]
    shortest: Optional[Completion]
    external_candidates: List[Tuple[ExternalCredential, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(status.met for status in self.rules)

    @property
    def ects_required(self) -> Optional[float]:
        return self.pathway.ects

    @property
    def progress(self) -> float:
        """Share of the pathway done, for ordering: by ECTS when known, else by rules met."""
        if self.pathway.ects:
            return min(1.0, self.ects_collected / self.pathway.ects)
        return sum(s.met for s in self.rules) / max(1, len(self.rules))


# -- choosing offers ---------------------------------------------------------------------------------------------------

def _cost(offer: OfferFacts, by: str) -> float:
    if by == "price":
        return math.inf if offer.price_eur is None else offer.price_eur
    return offer.workload_hours


def _pick_n(candidates: Sequence[OfferFacts], n: int, by: str) -> List[str]:
    ranked = sorted(candidates, key=lambda o: (_cost(o, by), o.workload_hours, o.offer_id))
    return [o.offer_id for o in ranked[:n]]


def _pick_ects(candidates: Sequence[OfferFacts], deficit: float, by: str) -> Optional[List[str]]:
    """The cheapest (or shortest) set of candidates whose ECTS reach `deficit`; None if even all do not."""
    usable = [o for o in candidates if o.ects]
    if sum(o.ects for o in usable) + 1e-9 < deficit:
        return None
    if len(usable) <= EXACT_SUBSET_LIMIT:
        best: Optional[Tuple[Tuple[float, float, int], Tuple[OfferFacts, ...]]] = None
        for size in range(1, len(usable) + 1):
            for subset in itertools.combinations(usable, size):
                if sum(o.ects for o in subset) + 1e-9 < deficit:
                    continue
                key = (sum(_cost(o, by) for o in subset), sum(o.workload_hours for o in subset), size)
                if best is None or key < best[0]:
                    best = (key, subset)
        return [o.offer_id for o in best[1]] if best else None
    chosen, collected = [], 0.0
    for offer in sorted(usable, key=lambda o: (_cost(o, by) / o.ects, o.offer_id)):
        if collected + 1e-9 >= deficit:
            break
        chosen.append(offer.offer_id)
        collected += offer.ects
    return chosen


def _with_prerequisites(chosen: List[str], held: set, offers: Mapping[str, OfferFacts],
                        pathway: PathwayFacts) -> List[str]:
    """`chosen` plus every prerequisite (of the offer, or set by the pathway) not held, prerequisites first."""
    required: Dict[str, List[str]] = {}
    for offer_id, needed in pathway.prerequisites:
        required.setdefault(offer_id, []).append(needed)
    result: List[str] = []

    def add(offer_id: str, seen: Tuple[str, ...] = ()) -> None:
        if offer_id in held or offer_id in result or offer_id in seen:
            return
        facts = offers.get(offer_id)
        for needed in list(facts.prerequisites if facts else ()) + required.get(offer_id, []):
            add(needed, seen + (offer_id,))
        result.append(offer_id)

    for offer_id in chosen:
        add(offer_id)
    return result


def _completion(offer_ids: List[str], offers: Mapping[str, OfferFacts]) -> Completion:
    facts = [offers[o] for o in offer_ids if o in offers]
    prices = [f.price_eur for f in facts]
    return Completion(offer_ids, None if any(p is None for p in prices) else round(sum(prices), 2),
                      sum(f.ects or 0 for f in facts), sum(f.workload_hours for f in facts))


# -- the plan ---------------------------------------------------------------------------------------------------------

def rule_status(rule: RuleFacts, held: set, offers: Mapping[str, OfferFacts]) -> RuleStatus:
    counted = [o for o in rule.offers if o in held]
    if rule.kind == "all_of":
        missing = len(rule.offers) - len(counted)
        return RuleStatus(rule, counted, missing == 0, still_needed=missing)
    if rule.kind == "any_n_of":
        needed = max(0, (rule.n or 0) - len(counted))
        return RuleStatus(rule, counted, needed == 0, still_needed=needed)
    collected = sum(offers[o].ects or 0 for o in counted if o in offers)
    deficit = max(0.0, (rule.min_ects or 0) - collected)
    return RuleStatus(rule, counted, deficit <= 1e-9, ects_collected=collected, ects_needed=deficit)


def _complete_by(pathway: PathwayFacts, statuses: List[RuleStatus], held: set, offers: Mapping[str, OfferFacts],
                 by: str) -> Optional[Completion]:
    chosen: List[str] = []
    for status in statuses:
        if status.met:
            continue
        rule = status.rule
        taken = held | set(chosen)
        open_offers = [offers[o] for o in rule.offers if o not in taken and o in offers]
        if rule.kind == "all_of":
            chosen.extend(o for o in rule.offers if o not in taken)
        elif rule.kind == "any_n_of":
            already = sum(1 for o in rule.offers if o in chosen)
            chosen.extend(_pick_n(open_offers, max(0, status.still_needed - already), by))
        else:
            already = sum(offers[o].ects or 0 for o in rule.offers if o in chosen and o in offers)
            picked = _pick_ects(open_offers, status.ects_needed - already, by)
            if picked is None:
                return None
            chosen.extend(picked)
    return _completion(_with_prerequisites(chosen, held, offers, pathway), offers)


def plan_pathway(pathway: PathwayFacts, held_offers: Iterable[str], offers: Mapping[str, OfferFacts],
                 external: Sequence[ExternalCredential] = ()) -> PathwayPlan:
    held = set(held_offers)
    statuses = [rule_status(rule, held, offers) for rule in pathway.rules]
    counted = [o for o in pathway.components if o in held]
    collected = sum(offers[o].ects or 0 for o in counted if o in offers)
    candidates = []
    for credential in external:
        for offer_id in pathway.components:
            component = offers.get(offer_id)
            if offer_id in held or component is None:
                continue
            level_ok = credential.eqf_level is not None and component.eqf_level is not None and \
                credential.eqf_level >= component.eqf_level
            ects_ok = credential.ects is not None and component.ects is not None and credential.ects >= component.ects
            if level_ok and ects_ok:
                candidates.append((credential, offer_id))
    complete = all(s.met for s in statuses)
    return PathwayPlan(pathway, counted, collected, statuses,
                       None if complete else _complete_by(pathway, statuses, held, offers, "price"),
                       None if complete else _complete_by(pathway, statuses, held, offers, "hours"),
                       candidates)


def plan(held_offers: Sequence[str], pathways: Sequence[PathwayFacts], offers: Mapping[str, OfferFacts],
         external: Sequence[ExternalCredential] = (), goal_level: Optional[int] = None,
         goal_pathways: Sequence[str] = ()) -> List[PathwayPlan]:
    """Plans for every pathway the learner's offers count towards, or that their goal names; furthest along first."""
    held = set(held_offers)
    plans = []
    for pathway in pathways:
        relevant = bool(held & set(pathway.components)) or pathway.pathway_id in goal_pathways
        if goal_level is not None and pathway.eqf_level is not None and pathway.eqf_level != goal_level:
            relevant = relevant and pathway.pathway_id in goal_pathways
        if relevant:
            plans.append(plan_pathway(pathway, held, offers, external))
    return sorted(plans, key=lambda p: (not p.complete, -p.progress, p.pathway.pathway_id))


# -- reading the facts from the store -----------------------------------------------------------------------------------

def offer_facts(offer: Offer, rates: Mapping[str, float]) -> OfferFacts:
    price = 0.0 if offer.price_free else to_eur(offer.price_amount, offer.price_currency, rates)
    return OfferFacts(offer.id, offer.ects, offer.workload_hours, offer.eqf_level, price,
                      tuple(offer.prerequisite_offer_ids))


def pathway_facts(pathway: Pathway) -> PathwayFacts:
    return PathwayFacts(
        pathway.id, tuple(RuleFacts(r.rule, tuple(r.offer_ids), r.n, r.min_ects) for r in pathway.rules),
        pathway.ects, pathway.eqf_level,
        tuple((p.offer_id, p.required_offer_id) for p in pathway.prerequisite_rows))


def load_planning_facts(session: Session) -> Tuple[List[PathwayFacts], Dict[str, OfferFacts]]:
    """Every pathway and every offer any pathway names (with their prerequisites)."""
    pathways = list(session.scalars(select(Pathway).order_by(Pathway.id).options(
        selectinload(Pathway.rules).selectinload(PathwayRule.offer_rows), selectinload(Pathway.prerequisite_rows))))
    facts = [pathway_facts(p) for p in pathways]
    wanted = {o for p in facts for o in p.components} | {o for p in facts for pair in p.prerequisites for o in pair}
    rates = eur_rates()
    offers: Dict[str, OfferFacts] = {}
    while wanted - set(offers):
        rows = session.scalars(select(Offer).where(Offer.id.in_(sorted(wanted - set(offers))))
                               .options(selectinload(Offer.prerequisite_rows)))
        found = False
        for row in rows:
            offers[row.id] = offer_facts(row, rates)
            wanted.update(row.prerequisite_offer_ids)
            found = True
        if not found:
            break
    return facts, offers


def recognitions_for(session: Session, offer_ids: Sequence[str], pathway_ids: Sequence[str]) -> List[RecognitionStatement]:
    """Recognition statements about any of these offers or pathways."""
    if not offer_ids and not pathway_ids:
        return []
    condition = RecognitionStatement.offer_id.in_(list(offer_ids)) | RecognitionStatement.pathway_id.in_(
        list(pathway_ids))
    return list(session.scalars(select(RecognitionStatement).where(condition)
                                .options(selectinload(RecognitionStatement.recognised_by))
                                .order_by(RecognitionStatement.id)))
