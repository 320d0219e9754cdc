"""The catalogue store: all-or-nothing imports with upsert by stable id, export, and counts.

An import validates everything first (against the schemas and against what is
already stored), then writes every record in one transaction: a bad record, or
any database error, leaves the store exactly as it was. Records are matched by
id, so importing the same data twice changes nothing the second time.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, TextIO

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from . import db
from .codec import apply_record, to_record
from .errors import CatalogueError, Issue, StoreNotReady
from .interchange import RECORD_TYPES, Record, SourceRecord, write_jsonl
from .models import (RECORD_MODELS, ImportRun, Offer, OfferLanguage, Pathway, PathwayRule, Provider,
                     RecognitionStatement)
from .validation import KnownIds, check

Progress = Callable[[int], None]
CHUNK = 500

LOAD_OPTIONS = {
    Offer: (selectinload(Offer.language_rows), selectinload(Offer.awarding_body_rows),
            selectinload(Offer.outcome_rows), selectinload(Offer.skill_rows), selectinload(Offer.field_rows),
            selectinload(Offer.prerequisite_rows)),
    Pathway: (selectinload(Pathway.rules).selectinload(PathwayRule.offer_rows), selectinload(Pathway.prerequisite_rows)),
    Provider: (),
    RecognitionStatement: (),
}


@dataclass
class ImportReport:
    """What an import (or a dry run) did, per record type."""

    source: str
    format: str
    created: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    updated: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    unchanged: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    warnings: List[Issue] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.unchanged.values())

    def as_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["warnings"] = [warning.as_dict() for warning in self.warnings]
        data["total"] = self.total
        return data


class CatalogueStore:
    """The offer store behind search, offer details and stacking advice; SQLite or PostgreSQL by URL."""

    def __init__(self, engine: Optional[Engine] = None, *, migrate: bool = True) -> None:
        self.engine = engine or db.get_engine()
        self._migrate = migrate
        self._ready = False

    @classmethod
    def from_url(cls, url: Optional[str] = None, **kwargs: Any) -> "CatalogueStore":
        return cls(db.get_engine(url), **kwargs)

    def ensure_schema(self) -> None:
        """Run the migrations up to head, once per store object."""
        if self._ready:
            return
        try:
            if db.current_revision(self.engine) != db.head_revision():
                if not self._migrate:
                    raise StoreNotReady("the catalogue store is not at the latest migration; run an import or "
                                        "`alembic -c catalogue_index/alembic.ini upgrade head`")
                db.upgrade(self.engine)
        except SQLAlchemyError as error:
            raise StoreNotReady(f"cannot open the catalogue store at {self.engine.url!r}: {error}") from error
        self._ready = True

    def session(self) -> Session:
        self.ensure_schema()
        return db.session_factory(self.engine)()

    # -- reading ----------------------------------------------------------------------------------------------------

    def known_ids(self, session: Optional[Session] = None) -> KnownIds:
        """Ids already stored (and offer ECTS), for validating references of a new import."""
        own = session is None
        session = session or self.session()
        try:
            return KnownIds(
                providers=set(session.scalars(select(Provider.id))),
                offers={row.id: row.ects for row in session.execute(select(Offer.id, Offer.ects))},
                pathways=set(session.scalars(select(Pathway.id))))
        finally:
            if own:
                session.close()

    def iter_records(self) -> Iterator[Record]:
        """Every stored record in interchange form: providers, offers, pathways, recognition; by id."""
        with self.session() as session:
            for record_type in RECORD_TYPES:
                model = RECORD_MODELS[record_type]
                ids = list(session.scalars(select(model.id).order_by(model.id)))
                for start in range(0, len(ids), CHUNK):
                    chunk = ids[start:start + CHUNK]
                    rows = session.scalars(select(model).where(model.id.in_(chunk)).options(*LOAD_OPTIONS[model]))
                    by_id = {row.id: row for row in rows}
                    for row_id in chunk:
                        yield to_record(by_id[row_id])
                    session.expunge_all()

    def export(self, stream: TextIO) -> int:
        """Write the whole catalogue as JSON Lines; returns the number of records."""
        return write_jsonl(self.iter_records(), stream)

    def get(self, model: type, record_id: str) -> Optional[Record]:
        """One stored record in interchange form, or None."""
        with self.session() as session:
            row = session.get(model, record_id, options=LOAD_OPTIONS.get(model, ()))
            return to_record(row) if row is not None else None

    # -- writing ----------------------------------------------------------------------------------------------------

    def import_records(self, records: Sequence[SourceRecord], *, source: str, format: str,
                       issues: Sequence[Issue] = (), progress: Optional[Progress] = None,
                       dry_run: bool = False) -> ImportReport:
        """Validate, then upsert every record in one transaction; nothing is written unless all are valid."""
        report = ImportReport(source=source, format=format, dry_run=dry_run)
        session = self.session()
        try:
            unique, report.warnings = check(records, issues, self.known_ids(session))
            by_type: Dict[str, List[SourceRecord]] = {name: [] for name in RECORD_TYPES}
            for record in unique:
                by_type[record.type].append(record)
            for record_type in RECORD_TYPES:
                model = RECORD_MODELS[record_type]
                batch = by_type[record_type]
                for start in range(0, len(batch), CHUNK):
                    chunk = batch[start:start + CHUNK]
                    ids = [record.data["id"] for record in chunk]
                    stored = {row.id: row for row in session.scalars(
                        select(model).where(model.id.in_(ids)).options(*LOAD_OPTIONS[model]))}
                    for record in chunk:
                        status = apply_record(session, model, record.data, stored.get(record.data["id"]),
                                              record.create_only)
                        getattr(report, status)[record_type] += 1
                    session.flush()
                    session.expunge_all()  # flushed rows stay in the transaction; memory stays flat
                    if progress:
                        progress(len(chunk))
            if dry_run:
                session.rollback()
                return report
            session.add(ImportRun(source=source[:2000], format=format, created=sum(report.created.values()),
                                  updated=sum(report.updated.values()), unchanged=sum(report.unchanged.values())))
            session.commit()
            return report
        except CatalogueError:
            session.rollback()
            raise
        except SQLAlchemyError as error:
            session.rollback()
            raise CatalogueError(f"the store rejected the import, nothing was written: {error}") from error
        finally:
            session.close()

    # -- counting ---------------------------------------------------------------------------------------------------

    def stats(self) -> Dict[str, Any]:
        """Counts a person (or a script) wants after an import."""
        with self.session() as session:
            counts = {name: session.scalar(select(func.count()).select_from(model)) or 0
                      for name, model in RECORD_MODELS.items()}
            sample = session.scalar(select(func.count()).select_from(Offer).where(Offer.sample.is_(True))) or 0

            def grouped(column, *joins) -> Dict[str, int]:
                query = select(column, func.count()).select_from(Offer)
                for target in joins:
                    query = query.join(target)
                rows = session.execute(query.group_by(column)).all()
                return {("not stated" if key is None else str(key)): n
                        for key, n in sorted(rows, key=lambda r: (r[0] is None, str(r[0])))}

            languages = Counter(dict(session.execute(
                select(OfferLanguage.language, func.count()).group_by(OfferLanguage.language)).all()))
            complete = session.scalar(select(func.count()).select_from(Offer).join(Provider, Offer.provider).where(
                Provider.country.is_not(None), Offer.eqf_level.is_not(None) | Offer.nqf_level.is_not(None),
                Offer.ects.is_not(None) | Offer.workload_hours.is_not(None), Offer.assessment_type.is_not(None),
                Offer.mode.is_not(None), Offer.qa_type.is_not(None), Offer.outcome_rows.any())) or 0
            last = session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(1)).first()
            return {
                "url": self.engine.url.render_as_string(hide_password=True),
                "counts": counts,
                "offers": {
                    "sample": sample,
                    "annex1_complete": complete,
                    "by_language": dict(sorted(languages.items(), key=lambda item: (-item[1], item[0]))),
                    "by_mode": grouped(Offer.mode),
                    "by_eqf_level": grouped(Offer.eqf_level),
                    "by_country": grouped(Provider.country, Offer.provider),
                },
                "last_import": None if last is None else {
                    "source": last.source, "format": last.format, "finished_at": last.finished_at.isoformat(),
                    "created": last.created, "updated": last.updated, "unchanged": last.unchanged},
            }
