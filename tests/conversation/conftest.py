"""A real catalogue store (the two example offers) and a real search service with the local E5 model."""
from pathlib import Path

import pytest

from catalogue_index.embedder import Embedder
from catalogue_index.importers import load
from catalogue_index.search import SearchService
from catalogue_index.store import CatalogueStore
from orienta.course_finder import CourseFinder

EXAMPLES = Path(__file__).resolve().parents[2] / "catalogue_index" / "sample" / "EXAMPLES.jsonl"
PYTHON, SOLAR = "ofr-uts-python-data-analysis", "ofr-saules-tinklai-akademija-pv-monitoring"


@pytest.fixture(scope="session")
def embedder():
    return Embedder()


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    store = CatalogueStore.from_url(f"sqlite:///{tmp_path_factory.mktemp('catalogue') / 'catalogue.db'}")
    loaded = load(str(EXAMPLES))
    store.import_records(loaded.records, source=loaded.source, format=loaded.format, issues=loaded.issues)
    return store


@pytest.fixture(scope="session")
def finder(store, embedder, tmp_path_factory):
    return CourseFinder(SearchService(store, embedder, tmp_path_factory.mktemp("index")))
