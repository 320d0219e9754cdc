"""The conversation's language: the pure resolution rules (orienta/conversation_language.py)."""
import pytest

from orienta.conversation_language import LanguageChoice, resolve_language, turn_language


def message(text="x", intent="greet", language="und", entities=(), metadata=None):
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
        "language": language,
        "metadata": metadata or {},
    }


def test_detected_language_is_used_when_clear():
    assert resolve_language("en", False, message(language="pl")).language == "pl"


def test_unclear_message_keeps_current_language():
    assert resolve_language("lt", False, message(text="ok", language="und")).language == "lt"


def test_first_unclear_message_uses_default_language(monkeypatch):
    monkeypatch.delenv("ORIENTA_DEFAULT_LANGUAGE", raising=False)
    assert resolve_language(None, False, message(language="und")).language == "en"


def test_default_language_is_configurable(monkeypatch):
    monkeypatch.setenv("ORIENTA_DEFAULT_LANGUAGE", "sl")
    assert resolve_language(None, False, message(language="und")).language == "sl"


@pytest.mark.parametrize("tag", ["ro", "ro-RO", "RO_ro", "ro_RO.UTF-8"])
def test_page_metadata_wins_over_detection(tag):
    assert resolve_language("en", False, message(language="pl", metadata={"language": tag})).language == "ro"


def test_unsupported_metadata_language_is_ignored():
    assert resolve_language("sl", False, message(language="und", metadata={"language": "de"})).language == "sl"


def test_explicit_request_wins_over_page_language():
    request = message(
        intent="change_language",
        language="ro",
        entities=[{"entity": "language", "value": "lt"}],
        metadata={"language": "ro"},
    )
    assert resolve_language("ro", False, request).language == "lt"


def test_request_for_unsupported_language_keeps_language():
    request = message(intent="change_language", language="und", entities=[{"entity": "language", "value": "de"}])
    assert resolve_language("pl", False, request).language == "pl"


def test_language_entity_outside_change_language_is_not_a_request():
    other = message(intent="definition", language="en", entities=[{"entity": "language", "value": "pl"}])
    assert resolve_language("en", False, other).language == "en"


def test_learners_choice_sticks_over_detection_and_page():
    choice = resolve_language("lt", True, message(language="en", metadata={"language": "pl"}))
    assert choice == LanguageChoice("lt", True)


def test_explicit_request_is_remembered_as_a_choice():
    request = message(intent="change_language", entities=[{"entity": "language", "value": "sl"}])
    assert resolve_language("en", False, request) == LanguageChoice("sl", True)


def test_the_turns_language_is_the_resolution_applied_to_the_slots():
    polish = message(text="dzień dobry", language="pl")
    assert turn_language({"language": "en"}, polish) == "pl"
    assert turn_language({"language": "pl"}, polish) == "pl"  # again, once stored: the same
    assert turn_language({"language": "lt", "language_chosen": True}, polish) == "lt"
    assert turn_language({}, {}) == "en"
