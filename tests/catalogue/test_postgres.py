"""The same store on a real PostgreSQL server (Debian's `postgresql` package), not a mock:
migrations, import, idempotence, atomicity and export agree with SQLite.

Skipped only when the server binaries are absent and CI is not set (tests/pg_server.py)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect

from catalogue_index import db
from catalogue_index.errors import InvalidCatalogue
from catalogue_index.store import CatalogueStore
from tests.pg_server import psql, throwaway_postgres

from .conftest import EDX_MAPPING, EXAMPLES, FIXTURES, export_text, import_path, shared


@pytest.fixture(scope="module")
def pg_url():
    with throwaway_postgres("orienta_catalogue") as url:
        yield url
        db.dispose_engines()


@pytest.fixture
def pg_store(pg_url):
    store = CatalogueStore.from_url(pg_url)
    store.ensure_schema()
    yield store
    from alembic import command

    db.get_engine(pg_url).dispose()
    command.downgrade(db.alembic_config(db.get_engine(pg_url)), "base")


def test_migrations_create_the_schema_on_postgresql(pg_store, pg_url):
    assert db.current_revision(pg_store.engine) == db.head_revision()
    tables = set(inspect(pg_store.engine).get_table_names())
    assert {"offers", "providers", "pathways", "recognition_statements", db.VERSION_TABLE} <= tables
    assert psql(pg_url, "select version_num from catalogue_alembic_version") == db.head_revision()


def test_import_export_and_idempotence_match_sqlite(pg_store, store):
    for target in (pg_store, store):
        import_path(target, FIXTURES / "valid.jsonl")
        import_path(target, EXAMPLES)
    assert export_text(pg_store) == export_text(store)
    report = import_path(pg_store, FIXTURES / "valid.jsonl")
    assert report.unchanged["offer"] == 4 and sum(report.updated.values()) == 0


def test_round_trip_on_postgresql(pg_store, tmp_path, store):
    import_path(pg_store, FIXTURES / "valid.jsonl")
    text = export_text(pg_store)
    (tmp_path / "pg.jsonl").write_text(text, encoding="utf-8")
    import_path(store, tmp_path / "pg.jsonl")
    assert export_text(store) == text


def test_a_rejected_import_leaves_postgresql_unchanged(pg_store, pg_url):
    import_path(pg_store, FIXTURES / "valid.jsonl")
    before = export_text(pg_store)
    with pytest.raises(InvalidCatalogue):
        import_path(pg_store, FIXTURES / "wrong_type.jsonl")
    assert export_text(pg_store) == before
    assert psql(pg_url, "select count(*) from offers") == "4"


def test_database_constraints_hold_on_postgresql(pg_store, monkeypatch):
    import_path(pg_store, FIXTURES / "valid.jsonl")
    before = export_text(pg_store)
    monkeypatch.setattr("catalogue_index.store.check", lambda records, issues, known: (list(records), []))
    from catalogue_index.importers import load
    from catalogue_index.errors import CatalogueError

    loaded = load(str(EXAMPLES))
    next(r for r in loaded.records if r.type == "offer").data["eqf_level"] = 12
    with pytest.raises(CatalogueError, match="nothing was written"):
        pg_store.import_records(loaded.records, source="x", format="json")
    assert export_text(pg_store) == before


def test_the_edx_catalogue_on_postgresql(pg_store, pg_url):
    report = import_path(pg_store, shared("edx-courses/edx_courses.csv"), mapping=str(EDX_MAPPING))
    assert report.created["offer"] == 974
    assert psql(pg_url, "select count(*) from offer_languages where language = 'es'") == "176"
    stats = pg_store.stats()
    assert stats["counts"]["offer"] == 974 and stats["offers"]["by_mode"] == {"online": 974}
    first = json.loads(export_text(pg_store).splitlines()[0])
    assert first["type"] == "provider"


def test_offer_details_with_their_pathways_on_postgresql(pg_store):
    from catalogue_index.lookup import offer_context

    import_path(pg_store, EXAMPLES)
    with pg_store.session() as session:
        context = offer_context(session, "ofr-uts-python-data-analysis")
        assert context is not None
        assert [p.id for p in context.pathways] == ["pth-saules-tinklai-akademija-solar-technician",
                                                    "pth-uts-energy-data-analysis"]
