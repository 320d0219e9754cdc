"""The catalogue's tables: providers, offers (every Annex I element), pathways, recognition statements.

Texts are language maps ({"ro": "...", "en": "..."}) kept in JSON columns
beside `original_language`; `text()` falls back to the original language, so a
missing translation never yields nothing. What people filter on (languages of
instruction, ISCED-F fields, awarding bodies, pathway components) lives in
child tables so SQL can use it. The schema is created by the Alembic
migrations in `alembic/versions/`, never by `create_all`.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Dict, List, Optional

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer,
                        MetaData, Numeric, String, Text, func)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .vocabulary import (AssessmentType, Cycle, LearningSetting, Mode, Procedure, ProviderType, QAStatus, QAType,
                         RuleType, Stackability, SupervisionVerification, values)

LangMap = Dict[str, str]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 120


def pick_text(texts: Optional[LangMap], language: Optional[str], original_language: str) -> Optional[str]:
    """The text in `language`, else in the original language, else any; None only for no text at all."""
    if not texts:
        return None
    if language and texts.get(language):
        return texts[language]
    if texts.get(original_language):
        return texts[original_language]
    return next(iter(texts.values()))


def _in(column: str, vocabulary) -> str:
    allowed = ", ".join(f"'{value}'" for value in values(vocabulary))
    return f"{column} IS NULL OR {column} IN ({allowed})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {LangMap: JSON}


class Multilingual:
    """Records whose texts are language maps written first in `original_language`."""

    original_language: Mapped[str] = mapped_column(String(2))

    def text(self, field: str, language: Optional[str] = None) -> Optional[str]:
        """One text field in `language`, falling back to the original language."""
        return pick_text(getattr(self, field), language, self.original_language)


class Provider(Multilingual, Base):
    """An organisation that offers, awards or recognises learning (ELM Organisation)."""

    __tablename__ = "providers"
    __table_args__ = (
        CheckConstraint(_in("provider_type", ProviderType), name="provider_type"),
        CheckConstraint(_in("qa_status", QAStatus), name="qa_status"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[LangMap]
    short_name: Mapped[Optional[str]] = mapped_column(String(60))
    description: Mapped[Optional[LangMap]]
    country: Mapped[Optional[str]] = mapped_column(String(2), index=True)
    region: Mapped[Optional[str]] = mapped_column(String(200))
    provider_type: Mapped[str] = mapped_column(String(40))
    qa_status: Mapped[Optional[str]] = mapped_column(String(40))
    accrediting_body: Mapped[Optional[str]] = mapped_column(String(300))
    deqar_id: Mapped[Optional[str]] = mapped_column(String(40))
    url: Mapped[Optional[str]] = mapped_column(String(2000))


class Offer(Multilingual, Base):
    """A learning opportunity leading to a micro-credential, with every element of Annex I.

    Annex I mandatory elements are nullable: None means "not stated by the
    source" (a real catalogue such as edX does not state EQF levels), which the
    bot reports honestly instead of guessing.
    """

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(_in("mode", Mode), name="mode"),
        CheckConstraint(_in("assessment_type", AssessmentType), name="assessment_type"),
        CheckConstraint(_in("qa_type", QAType), name="qa_type"),
        CheckConstraint(_in("supervision_verification", SupervisionVerification), name="supervision_verification"),
        CheckConstraint(_in("stackability", Stackability), name="stackability"),
        CheckConstraint(_in("cycle", Cycle), name="cycle"),
        CheckConstraint(_in("learning_setting", LearningSetting), name="learning_setting"),
        CheckConstraint("eqf_level IS NULL OR (eqf_level BETWEEN 1 AND 8)", name="eqf_level"),
        CheckConstraint("ects IS NULL OR ects > 0", name="ects"),
        CheckConstraint("price_free IS NOT NULL OR (price_amount IS NULL AND price_currency IS NULL)", name="price"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    title: Mapped[LangMap]
    description: Mapped[Optional[LangMap]]
    ects: Mapped[Optional[float]] = mapped_column(Float)
    workload_hours: Mapped[Optional[float]] = mapped_column(Float)
    eqf_level: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    nqf_level: Mapped[Optional[str]] = mapped_column(String(200))
    cycle: Mapped[Optional[str]] = mapped_column(String(40))
    learning_setting: Mapped[Optional[str]] = mapped_column(String(40))
    assessment_type: Mapped[Optional[str]] = mapped_column(String(40))
    assessment_description: Mapped[Optional[LangMap]]
    mode: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    work_based: Mapped[bool] = mapped_column(Boolean, default=False)
    qa_type: Mapped[Optional[str]] = mapped_column(String(40))
    qa_description: Mapped[Optional[LangMap]]
    prerequisites: Mapped[Optional[LangMap]]
    supervision_verification: Mapped[Optional[str]] = mapped_column(String(40))
    stackability: Mapped[Optional[str]] = mapped_column(String(20))
    stackable_towards: Mapped[Optional[LangMap]]
    further_information: Mapped[Optional[LangMap]]
    self_paced: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[Optional[date]] = mapped_column(Date)
    end_date: Mapped[Optional[date]] = mapped_column(Date)
    duration_weeks: Mapped[Optional[float]] = mapped_column(Float)
    price_free: Mapped[Optional[bool]] = mapped_column(Boolean)  # None: price not stated
    price_amount: Mapped[Optional[float]] = mapped_column(Numeric(12, 2, asdecimal=False))
    price_currency: Mapped[Optional[str]] = mapped_column(String(3))
    price_note: Mapped[Optional[LangMap]]
    url: Mapped[Optional[str]] = mapped_column(String(2000))

    provider: Mapped[Provider] = relationship(foreign_keys=[provider_id])
    language_rows: Mapped[List["OfferLanguage"]] = relationship(
        cascade="all, delete-orphan", order_by="OfferLanguage.position")
    awarding_body_rows: Mapped[List["OfferAwardingBody"]] = relationship(
        cascade="all, delete-orphan", order_by="OfferAwardingBody.position")
    outcome_rows: Mapped[List["LearningOutcome"]] = relationship(
        cascade="all, delete-orphan", order_by="LearningOutcome.position")
    skill_rows: Mapped[List["OfferSkill"]] = relationship(
        cascade="all, delete-orphan", order_by="OfferSkill.position")
    field_rows: Mapped[List["OfferField"]] = relationship(
        cascade="all, delete-orphan", order_by="OfferField.position")
    prerequisite_rows: Mapped[List["OfferPrerequisite"]] = relationship(
        cascade="all, delete-orphan", order_by="OfferPrerequisite.position",
        foreign_keys="OfferPrerequisite.offer_id")

    @property
    def languages(self) -> List[str]:
        return [row.language for row in self.language_rows]

    @property
    def awarding_body_ids(self) -> List[str]:
        return [row.provider_id for row in self.awarding_body_rows]

    @property
    def isced_f(self) -> List[str]:
        return [row.code for row in self.field_rows]

    @property
    def prerequisite_offer_ids(self) -> List[str]:
        return [row.required_offer_id for row in self.prerequisite_rows]

    def learning_outcomes(self, language: Optional[str] = None) -> List[str]:
        """Each outcome in `language`, falling back to the original language."""
        return [pick_text(row.text, language, self.original_language) or "" for row in self.outcome_rows]

    def skill_labels(self, language: Optional[str] = None) -> List[str]:
        return [pick_text(row.label, language, self.original_language) or "" for row in self.skill_rows]


class OfferLanguage(Base):
    """A language of instruction (ISO 639-1)."""

    __tablename__ = "offer_languages"
    __table_args__ = (Index("ix_offer_languages_language", "language"),)

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(2))


class OfferAwardingBody(Base):
    """Annex I awarding body (one row per body)."""

    __tablename__ = "offer_awarding_bodies"

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)


class LearningOutcome(Base):
    """Annex I learning outcome, a language map (ELM LearningOutcome)."""

    __tablename__ = "learning_outcomes"

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[LangMap]


class OfferSkill(Base):
    """A skill taught: free label, optional ESCO URI."""

    __tablename__ = "offer_skills"

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[LangMap]
    esco_uri: Mapped[Optional[str]] = mapped_column(String(300), index=True)


class OfferField(Base):
    """A field of study as an ISCED-F 2013 code (ELM thematicArea)."""

    __tablename__ = "offer_fields"
    __table_args__ = (Index("ix_offer_fields_code", "code"),)

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(4))


class OfferPrerequisite(Base):
    """An offer to complete before this one."""

    __tablename__ = "offer_prerequisites"

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    required_offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), index=True)


class Pathway(Multilingual, Base):
    """A larger credential obtained by stacking offers; every rule must hold."""

    __tablename__ = "pathways"
    __table_args__ = (CheckConstraint("eqf_level IS NULL OR (eqf_level BETWEEN 1 AND 8)", name="eqf_level"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[LangMap]
    description: Mapped[Optional[LangMap]]
    awarding_body_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    eqf_level: Mapped[Optional[int]] = mapped_column(Integer)
    ects: Mapped[Optional[float]] = mapped_column(Float)
    entry_requirements: Mapped[Optional[LangMap]]
    url: Mapped[Optional[str]] = mapped_column(String(2000))

    awarding_body: Mapped[Provider] = relationship()
    rules: Mapped[List["PathwayRule"]] = relationship(cascade="all, delete-orphan", order_by="PathwayRule.position")
    prerequisite_rows: Mapped[List["PathwayPrerequisite"]] = relationship(
        cascade="all, delete-orphan", order_by="PathwayPrerequisite.position")

    def component_offer_ids(self) -> List[str]:
        """Every offer named by any rule, first mention first."""
        seen: Dict[str, None] = {}
        for rule in self.rules:
            for offer_id in rule.offer_ids:
                seen.setdefault(offer_id, None)
        return list(seen)


class PathwayRule(Base):
    """all_of: every offer; any_n_of: at least n; min_ects_from_set: at least min_ects from the set."""

    __tablename__ = "pathway_rules"
    __table_args__ = (
        CheckConstraint(_in("rule", RuleType), name="rule"),
        CheckConstraint("(rule = 'any_n_of') = (n IS NOT NULL)", name="n"),
        CheckConstraint("(rule = 'min_ects_from_set') = (min_ects IS NOT NULL)", name="min_ects"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pathway_id: Mapped[str] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(30))
    n: Mapped[Optional[int]] = mapped_column(Integer)
    min_ects: Mapped[Optional[float]] = mapped_column(Float)
    label: Mapped[Optional[LangMap]]

    offer_rows: Mapped[List["PathwayRuleOffer"]] = relationship(
        cascade="all, delete-orphan", order_by="PathwayRuleOffer.position")

    @property
    def offer_ids(self) -> List[str]:
        return [row.offer_id for row in self.offer_rows]


class PathwayRuleOffer(Base):
    """A component offer named by a pathway rule."""

    __tablename__ = "pathway_rule_offers"

    rule_id: Mapped[int] = mapped_column(ForeignKey("pathway_rules.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), index=True)


class PathwayPrerequisite(Base):
    """Inside a pathway, `offer_id` can only be taken after `required_offer_id`."""

    __tablename__ = "pathway_prerequisites"

    pathway_id: Mapped[str] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"))
    required_offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"))


class RecognitionStatement(Multilingual, Base):
    """An institution recognises an offer or a pathway as something, under a procedure."""

    __tablename__ = "recognition_statements"
    __table_args__ = (
        CheckConstraint(_in("procedure", Procedure), name="procedure"),
        CheckConstraint("(offer_id IS NULL) <> (pathway_id IS NULL)", name="subject"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    recognised_by_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    offer_id: Mapped[Optional[str]] = mapped_column(ForeignKey("offers.id"), index=True)
    pathway_id: Mapped[Optional[str]] = mapped_column(ForeignKey("pathways.id"), index=True)
    recognised_as: Mapped[LangMap]
    ects_recognised: Mapped[Optional[float]] = mapped_column(Float)
    procedure: Mapped[str] = mapped_column(String(40))
    conditions: Mapped[Optional[LangMap]]
    valid_from: Mapped[Optional[date]] = mapped_column(Date)
    valid_until: Mapped[Optional[date]] = mapped_column(Date)
    url: Mapped[Optional[str]] = mapped_column(String(2000))

    recognised_by: Mapped[Provider] = relationship()
    offer: Mapped[Optional[Offer]] = relationship()
    pathway: Mapped[Optional[Pathway]] = relationship()


class ImportRun(Base):
    """One successful import: where from and what it changed (shown by `orienta catalogue stats`)."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    source: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20))
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)


RECORD_MODELS = {"provider": Provider, "offer": Offer, "pathway": Pathway, "recognition": RecognitionStatement}
