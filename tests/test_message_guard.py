"""orienta.message_guard: normalisation and classification of raw messages."""
import json
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from orienta.message_guard import (
    DEFAULT_MAX_MESSAGE_CHARS, Verdict, check_message, classify, has_content, max_message_chars,
    normalize_text, scrub,
)

FUZZ = settings(max_examples=150, derandomize=True, deadline=None)


@pytest.mark.parametrize("raw, expected", [
    ("  hello   world  ", "hello world"),
    ("a\tb", "a b"),
    ("line one\r\nline two\rthree", "line one\nline two\nthree"),
    ("a\n\n\n\n\nb", "a\n\nb"),
    ("a\u2028b\u2029c", "a\nb\nc"),
    ("nul\x00byte", "nulbyte"),
    ("bell\x07 and esc\x1b[31m", "bell and esc[31m"),
    ("c1\x9bcontrol\x85next", "c1control\nnext"),
    ("zero\u200bwidth\ufeff", "zerowidth"),
    ("caf\u0065\u0301", "caf\u00e9"),  # NFD -> NFC
    ("lone \ud800 surrogate", "lone surrogate"),
    ("nbsp\u00a0\u3000ideographic", "nbsp ideographic"),
    ("\U0001F469\u200d\U0001F4BB coder", "\U0001F469\u200d\U0001F4BB coder"),  # ZWJ sequence kept
    ("\u05e9\u05dc\u05d5\u05dd \u202eevil", "\u05e9\u05dc\u05d5\u05dd \u202eevil"),  # RTL kept
    (None, ""),
])
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_bytes_are_decoded_and_undecodable_bytes_dropped():
    assert normalize_text("Ce este o microcredențială?".encode()) == "Ce este o microcredențială?"
    assert normalize_text(b"ok \xff\xfe\xc3 fine") == "ok fine"


def test_escaped_lone_surrogate_from_json_is_dropped():
    assert normalize_text(json.loads('"a\\ud800b"')) == "ab"


def test_other_types_are_refused():
    with pytest.raises(TypeError):
        normalize_text(42)


@pytest.mark.parametrize("text, verdict", [
    ("", Verdict.EMPTY), ("   ", Verdict.EMPTY), ("\u200d\u200c", Verdict.EMPTY), ("\u0301", Verdict.EMPTY),
    ("?", Verdict.OK), ("\U0001F600", Verdict.OK), ("42", Verdict.OK), ("/greet", Verdict.OK),
])
def test_classify(text, verdict):
    assert classify(text, 10) is verdict


def test_limit_is_on_normalised_text():
    assert check_message("x" * 10, max_chars=10).verdict is Verdict.OK
    too_long = check_message("x" * 11, max_chars=10)
    assert too_long.verdict is Verdict.TOO_LONG and too_long.length == 11 and too_long.limit == 10
    assert check_message("x" + " " * 50 + "y", max_chars=10).verdict is Verdict.OK  # collapsed first
    assert check_message("x" * 100_000, max_chars=0).verdict is Verdict.OK  # 0 = no limit


def test_max_message_chars_setting():
    assert max_message_chars({}) == DEFAULT_MAX_MESSAGE_CHARS == 2000
    assert max_message_chars({"ORIENTA_MAX_MESSAGE_CHARS": " 500 "}) == 500
    assert max_message_chars({"ORIENTA_MAX_MESSAGE_CHARS": "0"}) == 0
    for bad in ("-1", "lots", "2.5"):
        with pytest.raises(ValueError, match="ORIENTA_MAX_MESSAGE_CHARS"):
            max_message_chars({"ORIENTA_MAX_MESSAGE_CHARS": bad})


def test_check_message_reads_the_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("ORIENTA_MAX_MESSAGE_CHARS", "5")
    assert check_message("abcdef").verdict is Verdict.TOO_LONG


def test_scrub_cleans_nested_metadata():
    dirty = {"language": "ro\x00", "page\ud800": ["a\udfffb", {"n": 1, "ok": True}], 3: None}
    assert scrub(dirty) == {"language": "ro", "page": ["ab", {"n": 1, "ok": True}], "3": None}
    deep = current = {}
    for _ in range(50):
        current["x"] = current = {}
    json.dumps(scrub(deep))  # cut off, still serialisable


def _utf8(text):
    return text.encode("utf-8")


@FUZZ
@given(st.one_of(st.text(), st.binary()))
def test_normalised_text_is_clean_utf8(raw):
    text = normalize_text(raw)
    _utf8(text)  # no lone surrogates
    assert unicodedata.is_normalized("NFC", text)
    assert text == text.strip()
    assert "  " not in text and "\t" not in text and "\n\n\n" not in text
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text)


@FUZZ
@given(st.text())
def test_normalisation_is_idempotent(raw):
    once = normalize_text(raw)
    assert normalize_text(once) == once


@FUZZ
@given(st.text(), st.integers(min_value=0, max_value=50))
def test_verdict_is_consistent(raw, limit):
    checked = check_message(raw, max_chars=limit)
    assert checked.length == len(checked.text)
    if checked.verdict is Verdict.TOO_LONG:
        assert limit and checked.length > limit
    elif checked.verdict is Verdict.EMPTY:
        assert not has_content(checked.text)
    else:
        assert has_content(checked.text) and (not limit or checked.length <= limit)


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=20))
def test_scrubbed_values_serialise_as_utf8(value):
    _utf8(json.dumps(scrub(value), ensure_ascii=False))
