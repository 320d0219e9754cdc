"""Offers as the learner reads them: result cards and the full Annex I description, in the conversation's locale.

Every label is a gettext message id (`locales/`), every number, price and date
goes through Babel, and every name of a language or country comes from CLDR.
Catalogue texts fall back to the offer's original language, and a title not in
the learner's language says which language it is in.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, Iterable, List, Optional, Sequence

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal

from catalogue_index.filters import SearchFilters
from catalogue_index.lookup import OfferContext
from catalogue_index.models import Offer, Pathway, RecognitionStatement

from .catalogs import fill, translations_for
from .languages import default_language, normalize_language


def N_(message_id: str) -> str:
    """Marks a message id for extraction (`make i18n`); it is translated when shown."""
    return message_id


# Filter names (catalogue_index.filters.RELAX_ORDER) as the learner reads them.
FILTER_LABELS = {
    "languages": N_("search.filter_name.languages"), "mode": N_("search.filter_name.mode"),
    "ects": N_("search.filter_name.ects"), "hours_max": N_("search.filter_name.hours"),
    "eqf_level": N_("search.filter_name.eqf_level"), "country": N_("search.filter_name.country"),
    "provider": N_("search.filter_name.provider"), "free": N_("search.filter_name.free"),
    "max_price": N_("search.filter_name.max_price"), "start_after": N_("search.filter_name.start_after"),
}
VOCABULARY_LABELS = {  # catalogue_index.vocabulary values -> message ids
    "mode": {"online": N_("mode.online"), "onsite": N_("mode.onsite"), "blended": N_("mode.blended")},
    "assessment": {
        "written_exam": N_("assessment.written_exam"), "oral_exam": N_("assessment.oral_exam"),
        "online_exam": N_("assessment.online_exam"), "practical_assessment": N_("assessment.practical_assessment"),
        "project": N_("assessment.project"), "portfolio": N_("assessment.portfolio"),
        "assignment": N_("assessment.assignment"), "presentation": N_("assessment.presentation"),
        "continuous_assessment": N_("assessment.continuous_assessment"),
        "artefact_assessment": N_("assessment.artefact_assessment"),
        "attendance_only": N_("assessment.attendance_only"), "other": N_("assessment.other")},
    "qa": {
        "internal_quality_assurance": N_("qa.internal_quality_assurance"),
        "external_quality_assurance": N_("qa.external_quality_assurance"),
        "programme_accreditation": N_("qa.programme_accreditation"),
        "institutional_accreditation": N_("qa.institutional_accreditation"),
        "industry_certification": N_("qa.industry_certification"), "other": N_("qa.other")},
    "supervision": {
        "unsupervised_no_id_verification": N_("supervision.unsupervised_no_id_verification"),
        "unsupervised_with_id_verification": N_("supervision.unsupervised_with_id_verification"),
        "supervised_no_id_verification": N_("supervision.supervised_no_id_verification"),
        "supervised_with_id_verification": N_("supervision.supervised_with_id_verification")},
    "stackability": {"stand_alone": N_("stackability.stand_alone"), "stackable": N_("stackability.stackable")},
    "procedure": {"credit_transfer": N_("procedure.credit_transfer"), "rpl": N_("procedure.rpl"),
                  "foreign_credential_recognition": N_("procedure.foreign_credential_recognition")},
}


class OfferPresenter:
    """Formats offers, filters and search summaries for one conversation language."""

    def __init__(self, language: Optional[str]) -> None:
        self.language = normalize_language(language) or default_language()
        self.locale = Locale.parse(self.language)
        self._gettext = translations_for(self.language).gettext

    # -- primitives -------------------------------------------------------------------------------------------------

    def t(self, message_id: str, **values: Any) -> str:
        return fill(self._gettext(message_id), values)

    def number(self, value: float) -> str:
        return format_decimal(value, format="#,##0.#", locale=self.locale)

    def money(self, amount: float, currency: str) -> str:
        return format_currency(amount, currency, locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def language_name(self, code: str) -> str:
        return self.locale.languages.get(code, code)

    def country_name(self, code: Optional[str]) -> str:
        return self.locale.territories.get((code or "").upper(), code or "")

    def join(self, items: Iterable[str]) -> str:
        items = [i for i in items if i]
        return format_list(items, locale=self.locale) if items else ""

    def label(self, vocabulary: str, value: Optional[str]) -> Optional[str]:
        message_id = VOCABULARY_LABELS[vocabulary].get(value or "")
        return self.t(message_id) if message_id else None

    # -- offers -----------------------------------------------------------------------------------------------------

    def title(self, offer: Offer) -> str:
        """The title in the learner's language, else the original one, marked with its language."""
        if (offer.title or {}).get(self.language):
            return offer.title[self.language]
        original = offer.text("title", self.language) or offer.id
        language = offer.original_language if (offer.title or {}).get(offer.original_language) else \
            next(iter(offer.title or {offer.original_language: ""}))
        return self.t("offer.title_in_language", title=original, language=self.language_name(language))

    def workload(self, offer: Offer) -> Optional[str]:
        if offer.ects is not None and offer.workload_hours:
            return self.t("offer.workload_ects_hours", ects=self.number(offer.ects), hours=self.number(offer.workload_hours))
        if offer.ects is not None:
            return self.t("offer.workload_ects", ects=self.number(offer.ects))
        if offer.workload_hours:
            return self.t("offer.workload_hours", hours=self.number(offer.workload_hours))
        return None

    def price(self, offer: Offer) -> str:
        if offer.price_free:
            return self.t("offer.free")
        if offer.price_amount is not None and offer.price_currency:
            return self.money(offer.price_amount, offer.price_currency)
        return self.t("offer.price_not_stated")

    def dates(self, offer: Offer) -> Optional[str]:
        if offer.self_paced:
            return self.t("offer.self_paced")
        if offer.start_date and offer.end_date:
            return self.t("offer.dates_from_to", start=self.day(offer.start_date), end=self.day(offer.end_date))
        if offer.start_date:
            return self.t("offer.starts", start=self.day(offer.start_date))
        return None

    def mode(self, offer: Offer) -> Optional[str]:
        mode = self.label("mode", offer.mode)
        if mode and offer.work_based:
            mode = self.t("offer.mode_work_based", mode=mode)
        return mode

    def card(self, offer: Offer, position: int) -> Dict[str, Any]:
        """One search result: a short text for any channel, and the same facts as data for rich clients."""
        facts = [self.workload(offer) if offer.ects is None else self.t("offer.ects", ects=self.number(offer.ects)),
                 self.t("offer.eqf", level=offer.eqf_level) if offer.eqf_level else None, self.mode(offer)]
        languages = self.join(self.language_name(code) for code in offer.languages)
        provider = offer.provider.text("name", self.language) if offer.provider else ""
        lines = [f"{position}. {self.title(offer)}",
                 ", ".join(p for p in (provider, self.country_name(offer.provider.country if offer.provider else None)) if p),
                 " · ".join(f for f in facts if f),
                 self.t("offer.taught_in", languages=languages) if languages else None,
                 " · ".join(p for p in (self.price(offer), self.dates(offer)) if p),
                 offer.url]
        return {
            "text": "\n".join(line for line in lines if line),
            "data": {
                "type": "offer", "id": offer.id, "position": position, "title": self.title(offer),
                "provider": provider, "country": self.country_name(offer.provider.country if offer.provider else None),
                "ects": offer.ects, "eqf_level": offer.eqf_level, "mode": self.mode(offer),
                "languages": [self.language_name(code) for code in offer.languages], "price": self.price(offer),
                "dates": self.dates(offer), "url": offer.url,
            },
        }

    # -- search summaries -------------------------------------------------------------------------------------------

    def filters(self, filters: SearchFilters) -> str:
        """The filters in force, as a short list ("online, taught in English, at most 5 ECTS")."""
        parts: List[str] = []
        if filters.languages:
            parts.append(self.t("search.filter.languages",
                                languages=self.join(self.language_name(c) for c in filters.languages)))
        if filters.mode:
            parts.append(self.label("mode", filters.mode) or filters.mode)
        if filters.ects_min is not None and filters.ects_min == filters.ects_max:
            parts.append(self.t("offer.ects", ects=self.number(filters.ects_min)))
        else:
            if filters.ects_min is not None:
                parts.append(self.t("search.filter.ects_min", ects=self.number(filters.ects_min)))
            if filters.ects_max is not None:
                parts.append(self.t("search.filter.ects_max", ects=self.number(filters.ects_max)))
        if filters.hours_max is not None:
            parts.append(self.t("search.filter.hours_max", hours=self.number(round(filters.hours_max))))
        if filters.eqf_level:
            parts.append(self.t("offer.eqf", level=filters.eqf_level))
        if filters.country:
            parts.append(self.t("search.filter.country", country=self.country_name(filters.country)))
        if filters.provider:
            parts.append(self.t("search.filter.provider", provider=filters.provider))
        if filters.free:
            parts.append(self.t("offer.free"))
        if filters.max_price_eur is not None:
            parts.append(self.t("search.filter.max_price", price=self.money(filters.max_price_eur, "EUR")))
        if filters.start_after:
            parts.append(self.t("search.filter.start_after", start=self.day(filters.start_after)))
        return self.join(parts)

    def relaxed(self, names: Sequence[str]) -> str:
        return self.t("search.relaxed", filters=self.join(self.t(FILTER_LABELS[n]) for n in names if n in FILTER_LABELS))

    # -- the full description (explain_offer) -----------------------------------------------------------------------

    def details(self, context: OfferContext) -> str:
        """Every Annex I element of the offer, labelled, then what it stacks into and who recognises it."""
        offer, lang = context.offer, self.language
        none = self.t("offer.not_stated")
        bodies = context.awarding_bodies or ([offer.provider] if offer.provider else [])
        outcomes = offer.learning_outcomes(lang)
        level = " · ".join(p for p in (
            self.t("offer.eqf", level=offer.eqf_level) if offer.eqf_level else None,
            self.t("offer.nqf", level=offer.nqf_level) if offer.nqf_level else None) if p)
        assessment = self.join([self.label("assessment", offer.assessment_type) or "",
                                offer.text("assessment_description", lang) or ""])
        quality = " — ".join(p for p in (self.label("qa", offer.qa_type), offer.text("qa_description", lang)) if p)
        prerequisites = " ".join(p for p in (
            offer.text("prerequisites", lang),
            self.join(self.title(o) for o in context.prerequisites) if context.prerequisites else None) if p)
        stackability = " — ".join(p for p in (self.label("stackability", offer.stackability),
                                              offer.text("stackable_towards", lang)) if p)
        further = " ".join(p for p in (offer.text("further_information", lang), offer.url) if p)
        rows = [
            (N_("offer.label.title"), self.title(offer)),
            (N_("offer.label.awarding_body"), self.join(b.text("name", lang) for b in bodies)),
            (N_("offer.label.country"), self.country_name(offer.provider.country if offer.provider else None)),
            (N_("offer.label.learning_outcomes"), "\n".join(f"• {o}" for o in outcomes) if outcomes else None),
            (N_("offer.label.workload"), self.workload(offer)),
            (N_("offer.label.level"), level),
            (N_("offer.label.assessment"), assessment),
            (N_("offer.label.mode"), self.mode(offer)),
            (N_("offer.label.quality_assurance"), quality),
            (N_("offer.label.languages"), self.join(self.language_name(c) for c in offer.languages)),
            (N_("offer.label.dates"), self.dates(offer)),
            (N_("offer.label.price"), self.price(offer)),
            (N_("offer.label.prerequisites"), prerequisites),
            (N_("offer.label.supervision"), self.label("supervision", offer.supervision_verification)),
            (N_("offer.label.stackability"), stackability),
            (N_("offer.label.further_information"), further),
        ]
        text = [f"{self.t(label)}: {value or none}" if not (value or "").startswith("•") else
                f"{self.t(label)}:\n{value}" for label, value in rows]
        if context.pathways:
            text.append(self.t("offer.label.stacks_into") + ":")
            text.extend(f"• {self.pathway(p)}" for p in context.pathways)
        if context.recognitions:
            text.append(self.t("offer.label.recognised_by") + ":")
            text.extend(f"• {self.recognition(r)}" for r in context.recognitions)
        if context.pathways or context.recognitions:
            text.append(self.t("offer.host_decides"))
        return "\n".join(text)

    def pathway(self, pathway: Pathway) -> str:
        facts = " · ".join(p for p in (
            self.t("offer.ects", ects=self.number(pathway.ects)) if pathway.ects is not None else None,
            self.t("offer.eqf", level=pathway.eqf_level) if pathway.eqf_level else None) if p)
        body = pathway.awarding_body.text("name", self.language) if pathway.awarding_body else ""
        return self.t("offer.pathway_line", title=pathway.text("title", self.language), awarding_body=body,
                      facts=facts)

    def recognition(self, statement: RecognitionStatement) -> str:
        conditions = statement.text("conditions", self.language)
        line = self.t("offer.recognition_line",
                      institution=statement.recognised_by.text("name", self.language) if statement.recognised_by else "",
                      recognised_as=statement.text("recognised_as", self.language) or "",
                      procedure=self.label("procedure", statement.procedure) or statement.procedure)
        return f"{line} {conditions}" if conditions else line
