"""The stacking planner as a conversation: collect credentials one message at a time, then explain the plan.

A message names a catalogue offer ("Python for engineers", found by the
search, in any language) or describes an external credential ("Excel course,
3 ECTS, EQF 5"). The plan itself is catalogue_index.planner's; this module
reads the learner's words and writes the explanation in their language, always
saying that the host organisation decides (Annex II, principle 5).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue_index.lookup import offers_by_id
from catalogue_index.models import Pathway, PathwayRule
from catalogue_index.planner import (ExternalCredential, PathwayPlan, RuleStatus, load_planning_facts, plan,
                                     recognitions_for)
from catalogue_index.search import SearchService

from .offer_view import N_, OfferPresenter
from .search_request import DIGITS, parse_number
from .search_vocabulary import find_phrases, message_is, primary_vocabularies, tokens

MAX_PLANS = 3
GOAL_MARGIN = 0.02  # pathways this close to the best match of the goal's words are all shown
Message = Dict[str, Any]


def is_done(text: str, language: str) -> bool:
    return message_is(text, language, "done")


def is_no_goal(text: str, language: str) -> bool:
    return message_is(text, language, "no_goal")


def parse_external(text: str, language: str) -> Optional[ExternalCredential]:
    """'Excel course, 3 ECTS, EQF 5' -> ExternalCredential; None unless ECTS or an EQF level is given."""
    found = tokens(text)
    credit_words = set().union(*(v.credit_words for v in primary_vocabularies(language)))
    level_words = set().union(*(v.level_words for v in primary_vocabularies(language)))
    ects = level = None
    used = set()
    for n, (word, _, _) in enumerate(found):
        if not DIGITS.fullmatch(word):
            continue
        before = found[n - 1][0] if n else ""
        after = found[n + 1][0] if n + 1 < len(found) else ""
        if ects is None and (after in credit_words or before in credit_words):
            ects = parse_number(word, language)
            used.update({n, n + 1 if after in credit_words else n - 1})
        elif level is None and before in level_words and 1 <= int(float(word.replace(",", "."))) <= 8:
            level = int(float(word.replace(",", ".")))
            used.update({n, n - 1})
    if ects is None and level is None:
        return None
    title = " ".join(text[s:e] for n, (word, s, e) in enumerate(found)
                     if n not in used and word not in credit_words and word not in level_words)
    title = re.sub(r"[\s,;:()–-]+$", "", re.sub(r"\s+([,;:])", r"\1", title)).strip(" ,;:-")
    return ExternalCredential(title or text.strip(), ects, level)


@dataclass
class HeldItem:
    """One credential the learner named; JSON-safe for the `plan_items` slot."""

    title: str
    offer_id: Optional[str] = None
    ects: Optional[float] = None
    eqf_level: Optional[int] = None

    def to_slot(self) -> Dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_slot(cls, value: Any) -> Optional["HeldItem"]:
        if not isinstance(value, dict) or not value.get("title"):
            return None
        return cls(str(value["title"]), value.get("offer_id"), value.get("ects"), value.get("eqf_level"))


def held_items(values: Any) -> List[HeldItem]:
    return [item for item in (HeldItem.from_slot(v) for v in values or []) if item]


class StackPlanner:
    """Reads credentials and goals against the catalogue and explains the plans, in one language per call."""

    def __init__(self, service: SearchService) -> None:
        self.service = service

    # -- collecting ---------------------------------------------------------------------------------------------

    def add_credential(self, text: str, offer_id: Optional[str], language: str) -> Tuple[Optional[HeldItem], Message]:
        """The credential one message names, and the confirmation (or the question again)."""
        view = OfferPresenter(language)
        done_button = {"title": view.t("button.plan_done"), "payload": view.t("plan.done_word")}
        external = None if offer_id else parse_external(text, language)
        if external:
            facts = view.join([view.t("offer.ects", ects=view.number(external.ects)) if external.ects else "",
                               view.t("offer.eqf", level=external.eqf_level) if external.eqf_level else ""])
            item = HeldItem(external.title, None, external.ects, external.eqf_level)
            return item, {"text": view.t("plan.noted_external", title=item.title, facts=facts),
                          "buttons": [done_button]}
        if not offer_id:
            hits = self.service.engine().search(text, top_k=1).hits if text.strip() else []
            offer_id = hits[0].offer_id if hits else None
        with self.service.store.session() as session:
            offer = offers_by_id(session, [offer_id]).get(offer_id) if offer_id else None
            if offer is None:
                return None, {"text": view.t("plan.not_found"), "buttons": [done_button]}
            item = HeldItem(view.title(offer), offer.id, offer.ects, offer.eqf_level)
            provider = offer.provider.text("name", view.language) if offer.provider else ""
        return item, {"text": view.t("plan.noted_offer", title=item.title, provider=provider), "buttons": [done_button]}

    # -- planning -----------------------------------------------------------------------------------------------

    def _goal_pathways(self, goal: str, pathways: Sequence[Pathway]) -> List[str]:
        """Pathways whose titles and descriptions come closest to the goal's words (any language)."""
        if not goal.strip() or not pathways:
            return []
        embedder = self.service.embedder
        texts = [" ".join([*(p.title or {}).values(), *(p.description or {}).values()]) for p in pathways]
        scores = embedder.passages(texts) @ embedder.queries([goal])[0]
        best = float(np.max(scores))
        return [p.id for p, score in zip(pathways, scores) if score >= best - GOAL_MARGIN]

    def _goal_level(self, goal: str, language: str) -> Optional[int]:
        level_words = set().union(*(v.level_words for v in primary_vocabularies(language)))
        found = [w for w, _, _ in tokens(goal)]
        for n, word in enumerate(found):
            if DIGITS.fullmatch(word) and n and found[n - 1] in level_words and 1 <= int(float(word)) <= 8:
                return int(float(word))
        for vocab in primary_vocabularies(language):
            hits = find_phrases(found, vocab.levels)
            if hits:
                return int(hits[0][2])
        return None

    def explain(self, items: Sequence[HeldItem], goal: Optional[str], language: str) -> List[Message]:
        view = OfferPresenter(language)
        held = [i.offer_id for i in items if i.offer_id]
        external = [ExternalCredential(i.title, i.ects, i.eqf_level) for i in items if not i.offer_id]
        goal = None if goal is None or is_no_goal(goal, language) else goal
        with self.service.store.session() as session:
            facts, offers = load_planning_facts(session)
            pathways = {p.id: p for p in session.scalars(select(Pathway).options(
                selectinload(Pathway.awarding_body), selectinload(Pathway.rules).selectinload(PathwayRule.offer_rows)))}
            goal_pathways = self._goal_pathways(goal, list(pathways.values())) if goal else []
            goal_level = self._goal_level(goal, language) if goal else None
            plans = plan(held, facts, offers, external, goal_level, goal_pathways)[:MAX_PLANS]
            names = {o: view.title(row) for o, row in offers_by_id(
                session, sorted({o for p in plans for o in p.pathway.components} | set(held))).items()}
            held_rows = offers_by_id(session, held)
            statements = recognitions_for(session, held, [p.pathway.pathway_id for p in plans])
            messages = [self._plan_message(view, p, pathways[p.pathway.pathway_id], names, held_rows, statements)
                        for p in plans]
        buttons = [{"title": view.t("topic.rpl_validation.title"), "payload": "/rpl_validation"},
                   {"title": view.t("topic.recognition.title"), "payload": "/recognition"},
                   {"title": view.t("button.find_course"), "payload": "/find_course"}]
        if not messages:
            return [{"text": view.t("plan.nothing"), "buttons": buttons}]
        return [{"text": view.t("plan.intro")}, *messages, {"text": view.t("plan.next_steps"), "buttons": buttons}]

    def _rule_line(self, view: OfferPresenter, status: RuleStatus, row: Optional[PathwayRule],
                   names: Dict[str, str]) -> str:
        rule = status.rule
        options = view.join(names.get(o, o) for o in rule.offers if o not in status.counted)
        label = row.label and (row.label.get(view.language) or next(iter(row.label.values()))) if row else None
        if not label:
            label = {"all_of": view.t("plan.rule.all_of"),
                     "any_n_of": view.t("plan.rule.any_n_of", n=view.number(rule.n or 0)),
                     "min_ects_from_set": view.t("plan.rule.min_ects", ects=view.number(rule.min_ects or 0))}[rule.kind]
        if status.met:
            return view.t("plan.rule_met", rule=label)
        if rule.kind == "min_ects_from_set":
            return view.t("plan.rule_missing_ects", rule=label, ects=view.number(status.ects_needed), options=options)
        if rule.kind == "any_n_of":
            return view.t("plan.rule_missing_count", rule=label, count=view.number(status.still_needed),
                          options=options)
        return view.t("plan.rule_missing_offers", rule=label, offers=options)

    def _plan_message(self, view: OfferPresenter, result: PathwayPlan, pathway: Pathway, names: Dict[str, str],
                      held_rows: Dict[str, Any], statements: Sequence[Any]) -> Message:
        host = pathway.awarding_body.text("name", view.language) if pathway.awarding_body else ""
        title = pathway.text("title", view.language) or pathway.id
        lines = [view.pathway(pathway)]
        if result.ects_required:
            lines.append(view.t("plan.collected", collected=view.number(result.ects_collected),
                                required=view.number(result.ects_required)))
        rows = {n: row for n, row in enumerate(pathway.rules)}
        lines.extend(self._rule_line(view, status, rows.get(n), names) for n, status in enumerate(result.rules))
        if result.complete:
            lines.append(view.t("plan.complete"))
        for key, completion in ((N_("plan.cheapest"), result.cheapest), (N_("plan.shortest"), result.shortest)):
            if completion and completion.offers:
                price = view.money(completion.price_eur, "EUR") if completion.price_eur is not None else \
                    view.t("plan.price_unknown")
                lines.append(view.t(key, offers=view.join(names.get(o, o) for o in completion.offers), price=price,
                                    ects=view.number(completion.ects), hours=view.number(round(completion.hours))))
        if result.cheapest is None and not result.complete:
            lines.append(view.t("plan.cannot_complete"))
        for credential, component in result.external_candidates[:3]:
            lines.append(view.t("plan.external_candidate", external=credential.title,
                                component=names.get(component, component), host=host))
        host_country = pathway.awarding_body.country if pathway.awarding_body else None
        for offer_id in result.counted:
            row = held_rows.get(offer_id)
            if row and row.provider and host_country and row.provider.country != host_country:
                lines.append(view.t("plan.foreign", title=names.get(offer_id, offer_id),
                                    country=view.country_name(row.provider.country), host=host))
        relevant = [s for s in statements if s.pathway_id == pathway.id or s.offer_id in result.counted]
        if relevant:
            lines.append(view.t("offer.label.recognised_by") + ":")
            lines.extend(f"• {view.recognition(s)}" for s in relevant)
        lines.append(view.t("plan.host_decides", title=title, host=host))
        return {"text": "\n".join(lines)}

