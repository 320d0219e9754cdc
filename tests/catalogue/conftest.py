"""Fixtures of the catalogue tests: throwaway SQLite stores, the hand-written fixtures, the shared real data."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from catalogue_index import db
from catalogue_index.importers import load
from catalogue_index.store import CatalogueStore

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROJECT = Path(__file__).resolve().parents[2]
EXAMPLES = PROJECT / "catalogue_index" / "sample" / "EXAMPLES.jsonl"
EDX_MAPPING = PROJECT / "catalogue_index" / "mappings" / "edx.yml"
SHARED_DATA = Path(os.environ.get("ORIENTA_SHARED_DATA", PROJECT.parent / "shared" / "data"))


def shared(relative: str) -> Path:
    """A path in ../shared/data; skipped when the shared data is absent, except under CI."""
    path = SHARED_DATA / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared test data missing: {path}")
        pytest.skip(f"shared test data not present: {path}")
    return path


def export_text(store: CatalogueStore) -> str:
    buffer = io.StringIO()
    store.export(buffer)
    return buffer.getvalue()


def import_path(store: CatalogueStore, path, **kwargs):
    loaded = load(str(path), **kwargs)
    return store.import_records(loaded.records, source=loaded.source, format=loaded.format, issues=loaded.issues)


@pytest.fixture
def store(tmp_path) -> CatalogueStore:
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    yield CatalogueStore.from_url(url)
    db.get_engine(url).dispose()


@pytest.fixture
def filled_store(store) -> CatalogueStore:
    """A store holding fixtures/valid.jsonl."""
    import_path(store, FIXTURES / "valid.jsonl")
    return store


@pytest.fixture
def store_factory(tmp_path):
    """More throwaway stores in the same test."""
    urls = []

    def make(name: str) -> CatalogueStore:
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        urls.append(url)
        return CatalogueStore.from_url(url)

    yield make
    for url in urls:
        db.get_engine(url).dispose()
