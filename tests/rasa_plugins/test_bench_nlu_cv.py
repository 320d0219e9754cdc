"""The pure parts of scripts/bench_nlu_cv.py: folds, per-language metrics, report (Rasa environment)."""
from __future__ import annotations

import collections
import importlib.util
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cv():
    path = PROJECT_ROOT / "scripts" / "bench_nlu_cv.py"
    spec = importlib.util.spec_from_file_location("bench_nlu_cv", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_nlu_cv"] = module
    spec.loader.exec_module(module)
    return module


def hand_made_keys():
    # 3 languages x 2 intents, 6 to 10 examples each.
    keys = []
    for language, sizes in (("en", (6, 10)), ("ro", (7, 8)), ("lt", (9, 6))):
        for intent, n in zip(("greet", "find_course"), sizes):
            keys += [f"{language}\t{intent}"] * n
    return keys


def test_strata_combines_language_and_intent(cv):
    assert cv.strata(["en", None], ["greet", "bye"]) == ["en\tgreet", "und\tbye"]


def test_folds_are_disjoint_cover_everything_and_are_stratified(cv):
    keys = hand_made_keys()
    folds = cv.assign_folds(keys, 3, seed=1)
    assert len(folds) == len(keys)
    # Each example is in exactly one fold, and every fold is used.
    assert set(folds) == {0, 1, 2}
    held_out = [[i for i, f in enumerate(folds) if f == k] for k in range(3)]
    assert sorted(i for part in held_out for i in part) == list(range(len(keys)))
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(held_out[a]) & set(held_out[b])
    # Stratified: each (language, intent) is spread as evenly as possible over the folds.
    for key, total in collections.Counter(keys).items():
        per_fold = [sum(1 for i in part if keys[i] == key) for part in held_out]
        assert sum(per_fold) == total
        assert max(per_fold) - min(per_fold) <= 1, (key, per_fold)


def test_folds_are_reproducible_for_a_seed(cv):
    keys = hand_made_keys()
    assert cv.assign_folds(keys, 3, seed=5) == cv.assign_folds(keys, 3, seed=5)
    assert cv.assign_folds(keys, 3, seed=5) != cv.assign_folds(keys, 3, seed=6)


def test_folds_need_at_least_two(cv):
    with pytest.raises(ValueError):
        cv.assign_folds(["en\tgreet"] * 4, 1)


def test_subsample_keeps_at_most_n_per_stratum(cv):
    keys = hand_made_keys()
    kept = cv.subsample(keys, 4, seed=2)
    assert kept == sorted(set(kept))
    assert collections.Counter(keys[i] for i in kept) == {k: 4 for k in set(keys)}
    assert cv.subsample(keys, None) == list(range(len(keys)))
    assert cv.subsample(["en\ta"] * 3, 10) == [0, 1, 2]


def record(language, gold, predicted, predicted_language=None):
    return {"language": language, "gold": gold, "predicted": predicted,
            "predicted_language": predicted_language or language}


def tiny_records():
    return [
        # en: a a a b b c -> a a b b b c : one a->b error.
        record("en", "a", "a"), record("en", "a", "a"), record("en", "a", "b"),
        record("en", "b", "b"), record("en", "b", "b"), record("en", "c", "c", "ro"),
        # ro: a a b b -> b b b nlu_fallback : a->b twice, b->nlu_fallback once.
        record("ro", "a", "b"), record("ro", "a", "b"), record("ro", "b", "b"),
        record("ro", "b", "nlu_fallback"),
    ]


def test_macro_f1_and_accuracy_per_language(cv):
    metrics = cv.per_language_metrics(tiny_records(), target=0.8)
    assert list(metrics) == ["en", "ro", "overall"]
    en = metrics["en"]
    # a: P=1, R=2/3 -> F1=0.8; b: P=2/3, R=1 -> 0.8; c: 1.
    assert en["examples"] == 6 and en["intents"] == 3
    assert en["macro_f1"] == pytest.approx((0.8 + 0.8 + 1.0) / 3)
    assert en["intent_accuracy"] == pytest.approx(5 / 6)
    assert en["language_accuracy"] == pytest.approx(5 / 6)
    assert en["meets_target"] is True
    ro = metrics["ro"]
    # a: no true positive -> 0; b: P=1/3, R=1/2 -> 0.4; nlu_fallback is not a gold label.
    assert ro["macro_f1"] == pytest.approx(0.2)
    assert ro["intent_accuracy"] == pytest.approx(0.25)
    assert ro["meets_target"] is False
    overall = metrics["overall"]
    assert overall["examples"] == 10
    assert overall["intent_accuracy"] == pytest.approx(6 / 10)


def test_confused_pairs_counted_and_ranked(cv):
    metrics = cv.per_language_metrics(tiny_records())
    assert metrics["en"]["confused"] == [["a", "b", 1]]
    assert metrics["ro"]["confused"] == [["a", "b", 2], ["b", "nlu_fallback", 1]]
    assert metrics["overall"]["confused"] == [["a", "b", 3], ["b", "nlu_fallback", 1]]
    gold = ["x", "y", "z", "w", "v", "u", "u"]
    predicted = ["q", "q", "q", "q", "q", "q", "q"]
    # Top 5 only; equal counts in name order.
    assert cv.confused_pairs(gold, predicted, top=3) == [("u", "q", 2), ("v", "q", 1), ("w", "q", 1)]
    assert cv.confused_pairs(["a"], ["a"]) == []


def test_report_shows_languages_target_folds_and_config(cv):
    result = {
        "date": "2024-01-02",
        "machine": {"nproc": 2, "cpu_model": "Test CPU", "python": "3.10.13", "rasa": "3.6.20"},
        "config": "bot/config.yml",
        "config_text": "language: xx\npipeline: []\n",
        "epochs": 2,
        "folds": 2,
        "seed": 13,
        "limit_per_intent": 4,
        "examples": 10,
        "target": 0.8,
        "languages": cv.per_language_metrics(tiny_records(), target=0.8),
        "fold_runs": [
            {"fold": 1, "train_examples": 5, "test_examples": 5, "train_seconds": 12.5, "parse_seconds": 1.0},
            {"fold": 2, "train_examples": 5, "test_examples": 5, "train_seconds": 13.5, "parse_seconds": 1.0},
        ],
    }
    text = cv.render_report(result)
    assert "2024-01-02" in text and "2 CPUs (Test CPU)" in text
    assert "2-fold cross-validation" in text and "epochs overridden to 2" in text
    assert "at most 4 per language and intent" in text
    assert "| en | 6 | 3 | 0.833 | 0.867 | 0.833 | yes |" in text
    assert "| ro | 4 | 2 | 0.250 | 0.200 | 1.000 | no |" in text
    assert "Target missed in: ro. Met in: en." in text
    assert "- **ro**: a -> b (2), b -> nlu_fallback (1)" in text
    assert "| 1 | 5 | 5 | 12.5 | 1.0 |" in text
    assert "13 s per fold" in text
    assert "```yaml\nlanguage: xx\npipeline: []\n```" in text


def test_fold_data_keeps_each_examples_language(cv, tmp_path):
    # The writer keeps one intent metadata per intent and file: one file per language keeps them right.
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    examples = [
        Message.build("hello", "greet", None, {"language": "en"}),
        Message.build("buna ziua", "greet", None, {"language": "ro"}),
        Message.build("a course online", "find_course",
                      [{"start": 9, "end": 15, "value": "online", "entity": "mode"}], {"language": "en"}),
    ]
    data = TrainingData(training_examples=examples, entity_synonyms={"remote": "online"})
    cv.write_fold_data(data, examples, ["en", "ro", "en"], tmp_path)
    cv.check_round_trip(tmp_path, collections.Counter({("en", "greet"): 1, ("ro", "greet"): 1,
                                                        ("en", "find_course"): 1}))
    reread = cv.load_training_data(tmp_path)
    assert reread.entity_synonyms == {"remote": "online"}
    assert [e["entity"] for m in reread.intent_examples for e in m.get("entities") or []] == ["mode"]
    with pytest.raises(RuntimeError):
        cv.check_round_trip(tmp_path, collections.Counter({("en", "greet"): 2}))
