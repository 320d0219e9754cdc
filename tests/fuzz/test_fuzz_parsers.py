"""Fuzzing (hypothesis, fixed seed) of what parses untrusted text: the message guard, the search request
parser and the catalogue importers; the nasty-input corpus (nasty_inputs.yaml) as regression cases."""
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from catalogue_index import db
from catalogue_index.errors import CatalogueError
from catalogue_index.importers import load_bytes
from catalogue_index.store import CatalogueStore
from orienta.languages import supported_languages
from orienta.message_guard import Verdict, check_message
from orienta.search_request import FILTER_ENTITIES, parse_request
from tests.catalogue.conftest import EXAMPLES, FIXTURES, export_text, shared
from tests.fuzz.corpus import nasty_inputs

FUZZ = settings(max_examples=80, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
IMPORT_FUZZ = settings(FUZZ, max_examples=40)  # each example exports the store twice
NASTY = nasty_inputs()
LANGUAGES = [*supported_languages(), "fi", "hu", "", "xx-YY"]
MODES = {None, "online", "onsite", "blended"}


# -- the message guard over the corpus -------------------------------------------------------

@pytest.mark.parametrize("name, text", NASTY, ids=[n for n, _ in NASTY])
def test_corpus_messages_are_cleaned_and_classified(name, text):
    checked = check_message(text, max_chars=2000)
    checked.text.encode("utf-8")
    assert checked.verdict in Verdict
    if name in ("empty", "spaces", "whitespace mix", "zero width only", "zero width joiners only",
                "replacement character"):
        assert checked.verdict is Verdict.EMPTY
    if name in ("ten thousand characters", "very long single word", "long sentence over the limit"):
        assert checked.verdict is Verdict.TOO_LONG
    if name in ("script", "sql injection", "template injection", "format strings", "arabic", "bidi override"):
        assert checked.verdict is Verdict.OK and checked.text == text  # meaningful text is kept as it is


def test_corpus_covers_the_listed_kinds():
    names = {name for name, _ in NASTY}
    for kind in ("empty", "ten thousand characters", "nul bytes", "lone high surrogate", "bidi override",
                 "emoji zwj family", "script", "sql injection", "template injection", "format strings",
                 "finnish", "hungarian", "chinese", "japanese", "cyrillic", "greek", "only punctuation"):
        assert kind in names


# -- the search request parser ---------------------------------------------------------------

def assert_in_range(request):
    f = request.filters
    assert isinstance(request.query, str)
    assert f.mode in MODES
    assert f.eqf_level is None or (isinstance(f.eqf_level, int) and 1 <= f.eqf_level <= 8)
    for number in (f.ects_min, f.ects_max, f.hours_max, f.max_price_eur):
        assert number is None or (math.isfinite(number) and number >= 0)
    assert f.country is None or re.fullmatch(r"[A-Z]{2}", f.country)
    assert all(re.fullmatch(r"[a-z]{2,3}", code) for code in f.languages)
    assert isinstance(f.free, bool) and isinstance(request.cheaper, bool)


entity_values = st.one_of(
    st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["5", "-3", "1e400", "nan", "inf", "0", "2,5", "free", "cheaper", "online", "en", "Polska",
                     "ß", "ßx", "пять", "ten", "9", "99", "€50", "1 000 000", "0.0001"]),
)
entities = st.lists(st.fixed_dictionaries(
    {"entity": st.sampled_from([*FILTER_ENTITIES, "subject", "position", "language", "junk"]),
     "value": entity_values},
    optional={"start": st.integers(-5, 60), "end": st.integers(-5, 60)},
), max_size=5)


@FUZZ
@given(text=st.one_of(st.text(max_size=120), st.sampled_from([t for _, t in NASTY])), found=entities,
       language=st.sampled_from(LANGUAGES))
def test_parse_request_never_raises_and_keeps_filters_in_range(text, found, language):
    assert_in_range(parse_request(text, found, language))


@pytest.mark.parametrize("name, text", NASTY, ids=[n for n, _ in NASTY])
@pytest.mark.parametrize("language", supported_languages())
def test_parse_request_on_the_corpus(name, text, language):
    assert_in_range(parse_request(text, [{"entity": "subject", "value": text[:50]}], language))


# -- the catalogue importers -------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'catalogue.db'}"
    filled = CatalogueStore.from_url(url)
    loaded = load_bytes((FIXTURES / "valid.jsonl").read_bytes(), "valid.jsonl", "json")
    filled.import_records(loaded.records, source=loaded.source, format=loaded.format, issues=loaded.issues)
    yield filled
    db.get_engine(url).dispose()


def import_or_nothing(store, data, format, mapping=None):
    """Either the import succeeds, or it raises CatalogueError and the store is exactly as before."""
    before = export_text(store)
    try:
        loaded = load_bytes(data, "fuzz", format, mapping)
        report = store.import_records(loaded.records, source=loaded.source, format=loaded.format,
                                      issues=loaded.issues)
    except CatalogueError as error:
        assert str(error)
        assert export_text(store) == before
        return None
    assert report.total >= 0
    return report


def mutations(data: bytes):
    """Byte-level damage to a valid file: cut, splice, flip, duplicate."""
    return st.one_of(
        st.integers(0, len(data)).map(lambda n: data[:n]),
        st.tuples(st.integers(0, len(data)), st.binary(min_size=1, max_size=30)).map(
            lambda t: data[:t[0]] + t[1] + data[t[0]:]),
        st.tuples(st.integers(0, max(0, len(data) - 1)), st.integers(0, 255)).map(
            lambda t: data[:t[0]] + bytes([t[1]]) + data[t[0] + 1:]),
        st.just(data + data),
        st.binary(max_size=200),
    )


VALID_JSONL = (FIXTURES / "valid.jsonl").read_bytes()
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=15),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=3), max_leaves=6)


@IMPORT_FUZZ
@given(data=mutations(VALID_JSONL))
def test_jsonl_bytes_import_or_change_nothing(store, data):
    import_or_nothing(store, data, "json")


@IMPORT_FUZZ
@given(line=st.integers(0, 9), field=st.sampled_from(["id", "type", "title", "provider", "eqf_level", "ects", "price",
                                                     "languages", "original_language", "country", "name", "url",
                                                     "mode", "workload_hours", "start_date"]),
       value=json_values, drop=st.booleans())
def test_jsonl_records_with_a_wrong_field_import_or_change_nothing(store, line, field, value, drop):
    import json

    lines = VALID_JSONL.decode("utf-8").splitlines()
    record = json.loads(lines[line])
    if drop:
        record.pop(field, None)
    else:
        record[field] = value
    lines[line] = json.dumps(record)
    import_or_nothing(store, "\n".join(lines).encode("utf-8"), "json")


@IMPORT_FUZZ
@given(data=mutations((FIXTURES / "tiny.csv").read_bytes()))
def test_csv_import_or_change_nothing(store, data):
    import_or_nothing(store, data, "csv", str(FIXTURES / "tiny_mapping.yml"))


@pytest.fixture(scope="module")
def elm_sample():
    return shared("elm-mynextid/microcredential/v1/edc/examples/edc-mc-example.json").read_bytes()


@IMPORT_FUZZ
@given(cut=st.integers(0, 10**6), noise=st.binary(max_size=20), flip=st.integers(0, 10**6), byte=st.integers(0, 255))
def test_elm_import_or_change_nothing(store, elm_sample, cut, noise, flip, byte):
    data = bytearray(elm_sample)
    position = flip % len(data)
    data[position] = byte
    cut %= len(data) + 1
    import_or_nothing(store, bytes(data[:cut]) + noise + bytes(data[cut:]), "elm")
    import_or_nothing(store, elm_sample[: cut % (len(elm_sample) + 1)], "elm")


@IMPORT_FUZZ
@given(document=json_values)
def test_elm_arbitrary_json_import_or_change_nothing(store, document):
    import json

    import_or_nothing(store, json.dumps(document).encode("utf-8"), "elm")


def test_sample_examples_still_import(store):
    assert import_or_nothing(store, EXAMPLES.read_bytes(), "json") is not None
