"""Language identification on short and long messages (runs in the Rasa environment)."""
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from orienta.languages import supported_languages
from orienta_rasa.language_detector import example_language
from orienta_rasa.language_id import UNDETERMINED, LanguageIdentifier

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def identifier():
    data = load_data(str(PROJECT_ROOT / "data" / "nlu"))
    texts, labels = [], []
    for message in data.intent_examples:
        texts.append(message.get("text"))
        labels.append(example_language(message))
    return LanguageIdentifier(supported_languages()).fit(texts, labels)


@pytest.mark.parametrize(
    "text, language",
    [
        ("What exactly is a micro-credential?", "en"),
        ("Ce înseamnă o microcredențială și cine o eliberează?", "ro"),
        ("ce inseamna o microcredentiala", "ro"),
        ("Czym jest mikropoświadczenie i kto je wydaje?", "pl"),
        ("czym jest mikroposwiadczenie", "pl"),
        ("Kaj je mikrodokazilo in kdo ga izda?", "sl"),
        ("Kas yra mikrokredencialas ir kas jį išduoda?", "lt"),
        ("kas yra mikrokredencialas", "lt"),
        ("cześć", "pl"),
        ("živjo", "sl"),
        ("labas", "lt"),
        ("mulțumesc", "ro"),
        ("thanks a lot", "en"),
    ],
)
def test_identifies_supported_languages(identifier, text, language):
    assert identifier.identify(text).language == language


@pytest.mark.parametrize("text", ["", "   ", "12345", "?!", "/greet", '/change_language{"language":"pl"}'])
def test_no_language_for_empty_numeric_or_payload_messages(identifier, text):
    assert identifier.identify(text).language == UNDETERMINED


def test_ranking_covers_every_language(identifier):
    guess = identifier.identify("Czy mikropoświadczenia są uznawane za granicą?")
    assert [r["name"] for r in guess.ranking][0] == "pl"
    assert {r["name"] for r in guess.ranking} == set(supported_languages())


def test_untrained_identifier_still_works_on_clear_text():
    guess = LanguageIdentifier(supported_languages()).identify("Dziękuję bardzo za pomoc, to było przydatne")
    assert guess.language == "pl"


def test_identifier_survives_pickling(identifier, tmp_path):
    import joblib

    joblib.dump(identifier, tmp_path / "m.joblib")
    restored = joblib.load(tmp_path / "m.joblib")
    assert restored.identify("Kaj je mikrodokazilo?").language == "sl"
