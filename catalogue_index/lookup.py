"""Reading offers with everything the conversation shows about them: provider, pathways, recognition."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from .models import Offer, OfferAwardingBody, Pathway, PathwayRule, PathwayRuleOffer, Provider, RecognitionStatement

OFFER_OPTIONS = (selectinload(Offer.provider), selectinload(Offer.language_rows), selectinload(Offer.outcome_rows),
                 selectinload(Offer.skill_rows), selectinload(Offer.awarding_body_rows),
                 selectinload(Offer.prerequisite_rows))


@dataclass
class OfferContext:
    """One offer and what it leads to: awarding bodies, prerequisite offers, pathways, recognition."""

    offer: Offer
    awarding_bodies: List[Provider] = field(default_factory=list)
    prerequisites: List[Offer] = field(default_factory=list)
    pathways: List[Pathway] = field(default_factory=list)
    recognitions: List[RecognitionStatement] = field(default_factory=list)


def offers_by_id(session: Session, offer_ids: Sequence[str]) -> Dict[str, Offer]:
    """The stored offers among `offer_ids`, with provider, languages, outcomes and skills loaded."""
    if not offer_ids:
        return {}
    rows = session.scalars(select(Offer).where(Offer.id.in_(list(offer_ids))).options(*OFFER_OPTIONS))
    return {row.id: row for row in rows}


def offer_context(session: Session, offer_id: str) -> Optional[OfferContext]:
    """Everything `explain_offer` shows about one offer, or None if it is not in the catalogue."""
    offer = offers_by_id(session, [offer_id]).get(offer_id)
    if offer is None:
        return None
    bodies = list(session.scalars(select(Provider).join(OfferAwardingBody, OfferAwardingBody.provider_id == Provider.id)
                                  .where(OfferAwardingBody.offer_id == offer_id)
                                  .order_by(OfferAwardingBody.position)))
    prerequisites = list(offers_by_id(session, offer.prerequisite_offer_ids).values())
    # No DISTINCT over the pathway rows: PostgreSQL has no equality for json columns (title, description, ...).
    containing = select(PathwayRule.pathway_id).join(PathwayRuleOffer).where(PathwayRuleOffer.offer_id == offer_id)
    pathways = list(session.scalars(
        select(Pathway).where(Pathway.id.in_(containing))
        .options(selectinload(Pathway.awarding_body), selectinload(Pathway.rules).selectinload(PathwayRule.offer_rows))
        .order_by(Pathway.id)))
    pathway_ids = [p.id for p in pathways]
    subject = RecognitionStatement.offer_id == offer_id
    if pathway_ids:
        subject = or_(subject, RecognitionStatement.pathway_id.in_(pathway_ids))
    recognitions = list(session.scalars(select(RecognitionStatement).where(subject)
                                        .options(selectinload(RecognitionStatement.recognised_by))
                                        .order_by(RecognitionStatement.id)))
    return OfferContext(offer, bodies, prerequisites, pathways, recognitions)
