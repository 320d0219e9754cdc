"""The ORM and its migrations: texts fall back to the original language, the database enforces the
vocabularies, the migrations build exactly the mapped schema, and schemas and vocabularies agree."""
from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from catalogue_index import db, vocabulary
from catalogue_index.interchange import load_schema
from catalogue_index.models import Base, Offer, Pathway, Provider, pick_text

from .conftest import FIXTURES, PROJECT, import_path


def test_pick_text_falls_back_to_the_original_then_to_any_language():
    texts = {"ro": "Analiza datelor", "en": "Data analysis"}
    assert pick_text(texts, "en", "ro") == "Data analysis"
    assert pick_text(texts, "pl", "ro") == "Analiza datelor"
    assert pick_text(texts, None, "ro") == "Analiza datelor"
    assert pick_text({"en": "Only English"}, "pl", "ro") == "Only English"
    assert pick_text(None, "en", "ro") is None


def test_offer_texts_and_relations_from_the_store(filled_store):
    with filled_store.session() as session:
        offer = session.get(Offer, "ofr-pw-test-cyber-basics")
        assert offer.text("title", "en") == "Cybersecurity basics"
        assert offer.text("title", "lt") == "Podstawy cyberbezpieczeństwa"  # no Lithuanian: the Polish original
        assert offer.text("description", "en") == "Kurs online."
        assert offer.learning_outcomes("en") == ["outcome cyber-basics"]
        assert offer.skill_labels("en") == ["network security"]
        assert offer.languages == ["pl", "en"]
        assert offer.awarding_body_ids == ["prv-pw-test"]
        assert offer.provider.text("name", "de") == "Politechnika Wiślana (test)"
        assert (offer.price_amount, offer.price_currency, offer.price_free) == (300, "PLN", False)
        pathway = session.get(Pathway, "pth-pw-test-cloud-security")
        assert [rule.rule for rule in pathway.rules] == ["all_of", "any_n_of", "min_ects_from_set"]
        assert pathway.component_offer_ids() == ["ofr-pw-test-cyber-basics", "ofr-pw-test-cloud-ops",
                                                 "ofr-acme-test-excel"]
        assert session.get(Offer, "ofr-pw-test-cloud-ops").prerequisite_offer_ids == ["ofr-pw-test-cyber-basics"]


@pytest.mark.parametrize("column, value", [("eqf_level", 9), ("mode", "hybrid"), ("assessment_type", "vibes")])
def test_the_database_itself_rejects_values_outside_the_vocabularies(filled_store, column, value):
    with filled_store.session() as session:
        offer = session.get(Offer, "ofr-acme-test-excel")
        setattr(offer, column, value)
        with pytest.raises(IntegrityError):
            session.flush()


def test_the_database_enforces_references(filled_store):
    with filled_store.session() as session:
        session.get(Offer, "ofr-acme-test-excel").provider_id = "prv-does-not-exist"
        with pytest.raises(IntegrityError):
            session.flush()


def test_migrations_build_exactly_the_mapped_schema(store):
    store.ensure_schema()
    assert db.current_revision(store.engine) == db.head_revision()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "version_table": db.VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_removes_every_table_and_upgrade_restores_them(store):
    store.ensure_schema()
    db.upgrade(store.engine)  # already at head: nothing to do
    from alembic import command

    command.downgrade(db.alembic_config(store.engine), "base")
    assert set(inspect(store.engine).get_table_names()) == {db.VERSION_TABLE}
    db.upgrade(store.engine)
    assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())


def test_importing_the_package_creates_no_engine_and_no_file(tmp_path):
    code = ("import catalogue_index.store, catalogue_index.importers.elm, catalogue_index.importers.csv_mapping, "
            "catalogue_index.fetch, orienta.cli; from catalogue_index import db; assert db._engines == {}")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True,
                            env={"ORIENTA_VAR_DIR": str(tmp_path), "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_default_url_follows_the_environment(tmp_path):
    assert db.catalogue_url({"ORIENTA_CATALOGUE_URL": "postgresql://x/y"}) == "postgresql://x/y"
    assert db.catalogue_url({"ORIENTA_VAR_DIR": str(tmp_path)}) == f"sqlite:///{tmp_path / 'catalogue.db'}"
    assert db.catalogue_url({}).endswith("/var/catalogue.db")
    assert db.normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"


@pytest.mark.parametrize("schema, field, vocab", [
    ("offer", "mode", vocabulary.Mode), ("offer", "assessment_type", vocabulary.AssessmentType),
    ("offer", "qa_type", vocabulary.QAType), ("offer", "supervision_verification", vocabulary.SupervisionVerification),
    ("offer", "stackability", vocabulary.Stackability), ("offer", "cycle", vocabulary.Cycle),
    ("offer", "learning_setting", vocabulary.LearningSetting), ("provider", "provider_type", vocabulary.ProviderType),
    ("provider", "qa_status", vocabulary.QAStatus), ("recognition", "procedure", vocabulary.Procedure),
])
def test_json_schemas_and_python_vocabularies_agree(schema, field, vocab):
    allowed = [value for value in load_schema(schema)["properties"][field]["enum"] if value is not None]
    assert allowed == list(vocabulary.values(vocab))


def test_pathway_rule_types_agree_with_the_schema():
    rule = load_schema("pathway")["properties"]["rules"]["items"]["properties"]["rule"]
    assert rule["enum"] == list(vocabulary.values(vocabulary.RuleType))


def test_every_offer_column_is_in_the_interchange_format():
    """Nothing stored is lost on export: each column maps to a field of the offer schema."""
    fields = set(load_schema("offer")["properties"])
    price_columns = {"price_free", "price_amount", "price_currency", "price_note"}
    columns = {c.name for c in Offer.__table__.columns} - price_columns - {"provider_id"}
    assert columns <= fields
    assert {c.name for c in Provider.__table__.columns} <= set(load_schema("provider")["properties"])


def test_annex_i_mandatory_elements_are_required_keys_of_an_offer():
    required = set(load_schema("offer")["required"])
    assert {"title", "provider", "learning_outcomes", "ects", "workload_hours", "eqf_level", "assessment_type",
            "mode", "qa_type"} <= required


def test_provider_missing_from_store_is_none(filled_store):
    assert filled_store.get(Provider, "prv-nobody") is None
    assert filled_store.get(Provider, "prv-acme-test")["country"] is None


def test_import_of_fixture_counts(store):
    report = import_path(store, FIXTURES / "valid.jsonl")
    assert report.created == {"provider": 3, "offer": 4, "pathway": 1, "recognition": 2}
