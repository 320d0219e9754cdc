"""Controlled vocabularies of the catalogue, shared by the ORM, the importers and the tests.

The JSON Schemas in `schema/` carry the same lists; a test keeps both in step,
so adding a value means editing both (and writing an Alembic migration, because
the tables check these values).
"""
from __future__ import annotations

from enum import StrEnum
from typing import Tuple, Type


class Mode(StrEnum):
    """Annex I form of participation (ELM mode of learning and assessment)."""

    ONLINE = "online"
    ONSITE = "onsite"
    BLENDED = "blended"


class AssessmentType(StrEnum):
    """Annex I type of assessment."""

    WRITTEN_EXAM = "written_exam"
    ORAL_EXAM = "oral_exam"
    ONLINE_EXAM = "online_exam"
    PRACTICAL_ASSESSMENT = "practical_assessment"
    PROJECT = "project"
    PORTFOLIO = "portfolio"
    ASSIGNMENT = "assignment"
    PRESENTATION = "presentation"
    CONTINUOUS_ASSESSMENT = "continuous_assessment"
    ARTEFACT_ASSESSMENT = "artefact_assessment"
    ATTENDANCE_ONLY = "attendance_only"
    OTHER = "other"


class QAType(StrEnum):
    """Annex I type of quality assurance underpinning the micro-credential."""

    INTERNAL = "internal_quality_assurance"
    EXTERNAL = "external_quality_assurance"
    PROGRAMME_ACCREDITATION = "programme_accreditation"
    INSTITUTIONAL_ACCREDITATION = "institutional_accreditation"
    INDUSTRY_CERTIFICATION = "industry_certification"
    OTHER = "other"


class SupervisionVerification(StrEnum):
    """Annex I supervision and identity verification (ELM supervision-verification scheme)."""

    UNSUPERVISED_NO_ID = "unsupervised_no_id_verification"
    UNSUPERVISED_WITH_ID = "unsupervised_with_id_verification"
    SUPERVISED_NO_ID = "supervised_no_id_verification"
    SUPERVISED_WITH_ID = "supervised_with_id_verification"


class Stackability(StrEnum):
    """Annex I integration/stackability."""

    STAND_ALONE = "stand_alone"
    STACKABLE = "stackable"


class Cycle(StrEnum):
    """QF-EHEA cycle, where applicable."""

    SHORT = "short_cycle"
    FIRST = "first_cycle"
    SECOND = "second_cycle"
    THIRD = "third_cycle"


class LearningSetting(StrEnum):
    """ELM learningSetting."""

    FORMAL = "formal"
    NON_FORMAL = "non_formal"


class ProviderType(StrEnum):
    HIGHER_EDUCATION = "higher_education"
    VET = "vet"
    EMPLOYER = "employer"
    OTHER = "other"


class QAStatus(StrEnum):
    """Quality-assurance status of a provider."""

    DEQAR_LISTED = "deqar_listed"
    ACCREDITED = "accredited"
    CERTIFIED = "certified"
    INTERNAL_ONLY = "internal_only"


class RuleType(StrEnum):
    """How a pathway combines its component offers."""

    ALL_OF = "all_of"
    ANY_N_OF = "any_n_of"
    MIN_ECTS_FROM_SET = "min_ects_from_set"


class Procedure(StrEnum):
    """Recognition procedure."""

    CREDIT_TRANSFER = "credit_transfer"
    RPL = "rpl"
    FOREIGN_CREDENTIAL_RECOGNITION = "foreign_credential_recognition"


def values(vocabulary: Type[StrEnum]) -> Tuple[str, ...]:
    """The stored strings of a vocabulary, in declaration order."""
    return tuple(member.value for member in vocabulary)
