"""The hybrid engine on a real store and the real local E5 model: cross-lingual hits, filters, stale index."""
from pathlib import Path

import pytest

from catalogue_index.embedder import Embedder
from catalogue_index.filters import SearchFilters
from catalogue_index.importers import load
from catalogue_index.search import SearchEngine, fingerprint, load_documents
from catalogue_index.store import CatalogueStore
from catalogue_index.vector_index import StaleIndexError, VectorIndex

EXAMPLES = Path(__file__).resolve().parents[2] / "catalogue_index" / "sample" / "EXAMPLES.jsonl"
PYTHON, SOLAR = "ofr-uts-python-data-analysis", "ofr-saules-tinklai-akademija-pv-monitoring"


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


@pytest.fixture()
def store(tmp_path):
    store = CatalogueStore.from_url(f"sqlite:///{tmp_path / 'catalogue.db'}")
    loaded = load(str(EXAMPLES))
    store.import_records(loaded.records, source=loaded.source, format=loaded.format, issues=loaded.issues)
    return store


@pytest.mark.parametrize("query, expected", [
    ("saulės elektrinių priežiūra", SOLAR),  # Lithuanian, the offer's own language
    ("mantenimiento paneles solares", SOLAR),  # Spanish: a language the offer does not have
    ("analiza danych w Pythonie", PYTHON),  # Polish query, Romanian/English offer
    ("pandas", PYTHON),  # an exact tool name
])
def test_finds_offers_across_languages(store, embedder, tmp_path, query, expected):
    engine = SearchEngine.open(store, embedder, tmp_path / "index")
    result = engine.search(query)
    assert result.hits[0].offer_id == expected
    assert [hit.offer_id for hit in result.hits] == [expected]  # the unrelated offer is not padded in


def test_filters_apply_and_relax(store, embedder, tmp_path):
    engine = SearchEngine.open(store, embedder, tmp_path / "index")
    result = engine.search("python", SearchFilters(mode="blended"))
    assert result.relaxed == [] and result.hits[0].offer_id == PYTHON
    result = engine.search("python", SearchFilters(mode="online"))
    assert result.relaxed == ["mode"] and result.hits
    result = engine.search("python", SearchFilters(country="LT"))
    assert [hit.offer_id for hit in result.hits] == [SOLAR]  # the filter is kept; the best it allows


def test_index_is_reused_and_rebuilt_when_the_catalogue_changes(store, embedder, tmp_path):
    index_dir = tmp_path / "index"
    first = SearchEngine.open(store, embedder, index_dir)
    fingerprint = first.vectors.metadata.fingerprint
    VectorIndex.load(index_dir, embedder.name, embedder.dimension, fingerprint)  # saved and valid
    records = [r for r in load(str(EXAMPLES)).records if r.data.get("id") == PYTHON]
    records[0].data["title"] = {**records[0].data["title"], "en": "Data analysis with Python and Polars"}
    store.import_records(records, source="edit", format="json")
    second = SearchEngine.open(store, embedder, index_dir)
    assert second.vectors.metadata.fingerprint != fingerprint
    with pytest.raises(StaleIndexError):
        VectorIndex.load(index_dir, embedder.name, embedder.dimension, fingerprint)
    with pytest.raises(StaleIndexError):
        VectorIndex.load(index_dir, "another-model", embedder.dimension, second.vectors.metadata.fingerprint)
    assert second.search("polars").hits[0].offer_id == PYTHON


def test_an_import_between_scan_and_build_is_seen_not_lost(store, embedder, tmp_path):
    """The saved fingerprint is that of the texts embedded; a change after the scan makes `open` scan again."""
    records = [r for r in load(str(EXAMPLES)).records if r.data.get("id") == PYTHON]
    records[0].data["title"] = {**records[0].data["title"], "en": "Data analysis with Python and DuckDB"}
    builds = []

    class ImportingEmbedder:
        """Asked for its dimension after the scan, when the index is checked: an import lands then."""
        name = embedder.name

        @property
        def dimension(self):
            if not builds:
                store.import_records(records, source="edit", format="json")
            return embedder.dimension

        def passages(self, texts):
            builds.append(len(texts))
            return embedder.passages(texts)

        def queries(self, texts):
            return embedder.queries(texts)

    engine = SearchEngine.open(store, ImportingEmbedder(), tmp_path / "index")
    assert engine.search("duckdb", ranker="lexical").hits[0].offer_id == PYTHON  # the new text, not the scanned one
    assert engine.vectors.metadata.fingerprint == fingerprint(load_documents(store))
    assert len(builds) == 1  # the second scan found the index just built


def test_offer_texts_are_read_from_the_store_not_kept(store, embedder, tmp_path):
    engine = SearchEngine.open(store, embedder, tmp_path / "index")
    assert not hasattr(engine, "documents")
    assert len(engine) == 2
    assert "Python" in engine.document(PYTHON).texts["en"]
    assert engine.document("ofr-not-in-the-catalogue") is None
