"""NLU cross-validation per language: K stratified folds over the NLU training data.

Loads every example of data/nlu/<lang>/*.yml (with its entity annotations and the
data's synonyms, regexes and lookup tables), splits it into K folds stratified by
(language, intent) with a fixed seed, and for each fold trains an NLU-only model on
the other folds with bot/config.yml, then parses the held-out fold. Reports, per
language and overall: intent accuracy, macro-F1, language detected right, the most
confused (gold -> predicted) topic pairs, and whether macro-F1 meets the target.
Missed targets are reported, not failures: the exit status is 0 unless something
errors.

Runs in the Rasa environment with `PYTHONPATH=bot:.` (`make bench`). Quick check:
`--folds 2 --epochs 2 --limit-per-intent 4 --report /tmp/nlu_cv_smoke.md`.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
TARGET_MACRO_F1 = 0.92
DEFAULT_SEED = 13
UNKNOWN_LANGUAGE = "und"


# ---------------------------------------------------------------------------
# Pure parts (tested in tests/rasa_plugins/test_bench_nlu_cv.py)
# ---------------------------------------------------------------------------

def strata(languages: Sequence[Optional[str]], intents: Sequence[str]) -> List[str]:
    """The stratification key of each example: its language and intent."""
    return [f"{language or UNKNOWN_LANGUAGE}\t{intent}" for language, intent in zip(languages, intents)]


def assign_folds(keys: Sequence[str], folds: int, seed: int = DEFAULT_SEED) -> List[int]:
    """Fold number (0..folds-1) of each example, stratified by `keys`, reproducible for a seed."""
    if folds < 2:
        raise ValueError("at least 2 folds are needed")
    assignment = [-1] * len(keys)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (_, test_index) in enumerate(splitter.split(np.zeros(len(keys)), list(keys))):
        for i in test_index:
            assignment[int(i)] = fold
    return assignment


def subsample(keys: Sequence[str], limit: Optional[int], seed: int = DEFAULT_SEED) -> List[int]:
    """Indices of at most `limit` examples per key (all of them when limit is None), in order."""
    if not limit:
        return list(range(len(keys)))
    by_key: Dict[str, List[int]] = collections.defaultdict(list)
    for i, key in enumerate(keys):
        by_key[key].append(i)
    rng = random.Random(seed)
    kept: List[int] = []
    for key in sorted(by_key):
        indices = by_key[key]
        kept.extend(indices if len(indices) <= limit else rng.sample(indices, limit))
    return sorted(kept)


def confused_pairs(gold: Sequence[str], predicted: Sequence[str], top: int = 5) -> List[Tuple[str, str, int]]:
    """The `top` most frequent (gold, predicted, count) errors; ties in name order."""
    counts = collections.Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(g, p, n) for (g, p), n in ranked[:top]]


def group_metrics(records: Sequence[Dict[str, Any]], top: int = 5, target: float = TARGET_MACRO_F1) -> Dict[str, Any]:
    """Metrics of one group of parsed records (keys: gold, predicted, language, predicted_language).

    Macro-F1 is averaged over the group's gold intents (a prediction outside them,
    e.g. nlu_fallback, counts only as a miss of the gold intent).
    """
    gold = [r["gold"] for r in records]
    predicted = [r["predicted"] for r in records]
    n = len(records)
    if not n:
        return {"examples": 0, "intent_accuracy": 0.0, "macro_f1": 0.0, "language_accuracy": 0.0,
                "confused": [], "meets_target": False}
    macro = float(f1_score(gold, predicted, average="macro", labels=sorted(set(gold)), zero_division=0))
    return {
        "examples": n,
        "intents": len(set(gold)),
        "intent_accuracy": sum(g == p for g, p in zip(gold, predicted)) / n,
        "macro_f1": macro,
        "language_accuracy": sum(r.get("language") == r.get("predicted_language") for r in records) / n,
        "confused": [list(pair) for pair in confused_pairs(gold, predicted, top)],
        "meets_target": macro >= target,
    }


def per_language_metrics(records: Sequence[Dict[str, Any]], top: int = 5,
                         target: float = TARGET_MACRO_F1) -> Dict[str, Dict[str, Any]]:
    """`group_metrics` for each language (sorted) and, last, "overall" over all records."""
    by_language: Dict[str, List[Dict[str, Any]]] = collections.defaultdict(list)
    for record in records:
        by_language[record.get("language") or UNKNOWN_LANGUAGE].append(record)
    result = {language: group_metrics(rs, top, target) for language, rs in sorted(by_language.items())}
    result["overall"] = group_metrics(records, top, target)
    return result


def _format_pairs(pairs: Iterable[Sequence[Any]]) -> str:
    return ", ".join(f"{g} -> {p} ({n})" for g, p, n in pairs) or "none"


def render_report(result: Dict[str, Any]) -> str:
    """The Markdown report of a cross-validation `result` (see `run`)."""
    target = result["target"]
    languages = result["languages"]
    meets = [lang for lang, r in languages.items() if lang != "overall" and r["meets_target"]]
    missed = [lang for lang, r in languages.items() if lang != "overall" and not r["meets_target"]]
    machine = result["machine"]
    limit = result.get("limit_per_intent")
    lines = [
        "# NLU cross-validation per language",
        "",
        f"Measured {result['date']} with `scripts/bench_nlu_cv.py` (`make bench`) on this machine: "
        f"{machine['nproc']} CPUs ({machine['cpu_model']}), Python {machine['python']}, Rasa {machine['rasa']}.",
        "",
        f"{result['folds']}-fold cross-validation, stratified by (language, intent), seed {result['seed']}, "
        f"over {result['examples']} NLU training examples of data/nlu"
        + (f" (subsampled to at most {limit} per language and intent)" if limit else "")
        + f". Config `{result['config']}`"
        + (f" with DIETClassifier epochs overridden to {result['epochs']}" if result.get("epochs") else "")
        + f". Target: macro-F1 of at least {target:.2f} in every language.",
        "",
        "| language | examples | intents | intent accuracy | macro-F1 | language detected right | target met |",
        "|---|---|---|---|---|---|---|",
    ]
    for lang, r in languages.items():
        name = f"**{lang}**" if lang == "overall" else lang
        lines.append(
            f"| {name} | {r['examples']} | {r.get('intents', 0)} | {r['intent_accuracy']:.3f} | "
            f"{r['macro_f1']:.3f} | {r['language_accuracy']:.3f} | {'yes' if r['meets_target'] else 'no'} |"
        )
    lines += [
        "",
        ("Every language meets the target." if not missed else
         f"Target missed in: {', '.join(missed)}." + (f" Met in: {', '.join(meets)}." if meets else "")),
        "",
        "## Most confused topics (gold -> predicted)",
        "",
    ]
    for lang, r in languages.items():
        lines.append(f"- **{lang}**: {_format_pairs(r['confused'])}")
    lines += [
        "",
        "## Folds",
        "",
        "| fold | training examples | held-out examples | training seconds | parse seconds |",
        "|---|---|---|---|---|",
    ]
    for f in result["fold_runs"]:
        lines.append(
            f"| {f['fold']} | {f['train_examples']} | {f['test_examples']} | "
            f"{f['train_seconds']:.1f} | {f['parse_seconds']:.1f} |"
        )
    total = sum(f["train_seconds"] for f in result["fold_runs"])
    lines += [
        "",
        f"Training took {total:.0f} s in all ({total / max(len(result['fold_runs']), 1):.0f} s per fold).",
        "",
        "## Config used",
        "",
        "```yaml",
        result["config_text"].rstrip(),
        "```",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Side-effecting parts: data, training, parsing
# ---------------------------------------------------------------------------

def machine_facts() -> Dict[str, Any]:
    cpu_model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        nproc = os.cpu_count() or 0
    try:
        import rasa

        rasa_version = rasa.__version__
    except Exception:  # pragma: no cover - informative only
        rasa_version = "?"
    return {"nproc": nproc, "cpu_model": cpu_model, "python": platform.python_version(), "rasa": rasa_version}


def load_training_data(nlu_dir: Path):
    """All NLU files of `nlu_dir`, merged into one TrainingData."""
    from rasa.shared.nlu.training_data.loading import load_data

    files = sorted(nlu_dir.rglob("*.yml")) + sorted(nlu_dir.rglob("*.yaml"))
    if not files:
        raise FileNotFoundError(f"no NLU files under {nlu_dir}")
    parts = [load_data(str(path)) for path in files]
    return parts[0].merge(*parts[1:])


def write_fold_data(training_data, examples, languages: Sequence[Optional[str]], directory: Path) -> None:
    """Writes `examples` as NLU YAML under `directory`, one file per language, plus the
    data's synonyms, regexes and lookup tables in their own file.

    One file per language because the writer keeps a single intent-level metadata per
    intent and file: merged, every example of an intent would get the first language.
    """
    from rasa.shared.nlu.training_data.training_data import TrainingData

    directory.mkdir(parents=True, exist_ok=True)
    by_language = collections.defaultdict(list)
    for message, language in zip(examples, languages):
        by_language[language or UNKNOWN_LANGUAGE].append(message)
    for language, messages in sorted(by_language.items()):
        (directory / f"nlu_{language}.yml").write_text(
            TrainingData(training_examples=messages).nlu_as_yaml(), encoding="utf-8"
        )
    extras = TrainingData(
        entity_synonyms=dict(training_data.entity_synonyms),
        regex_features=list(training_data.regex_features),
        lookup_tables=list(training_data.lookup_tables),
    )
    if extras.entity_synonyms or extras.regex_features or extras.lookup_tables:
        (directory / "extras.yml").write_text(extras.nlu_as_yaml(), encoding="utf-8")


def check_round_trip(directory: Path, expected: collections.Counter) -> None:
    """Fails loudly if the written fold does not read back as the same (language, intent) counts."""
    from orienta_rasa.language_detector import example_language

    reread = load_training_data(directory)
    got = collections.Counter(
        (example_language(m) or UNKNOWN_LANGUAGE, m.get("intent")) for m in reread.intent_examples
    )
    if got != expected:
        diff = (got - expected) + (expected - got)
        raise RuntimeError(f"fold data in {directory} does not read back as written: {dict(diff)}")


def effective_config(config: Path, epochs: Optional[int], directory: Path) -> Tuple[Path, str]:
    """The config to train with (a temporary copy with DIETClassifier epochs overridden) and its text."""
    text = config.read_text(encoding="utf-8")
    if not epochs:
        return config, text
    import yaml

    data = yaml.safe_load(text)
    found = False
    for component in data.get("pipeline") or []:
        if component.get("name") == "DIETClassifier":
            component["epochs"] = int(epochs)
            found = True
    if not found:
        raise ValueError(f"{config} has no DIETClassifier to override epochs of")
    path = directory / "config.yml"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path, text


def parse_texts(model_path: str, texts: Sequence[str], batch_size: int = 64) -> List[Dict[str, Any]]:
    """Parse results of `texts` with the model, as `Agent.parse_message` returns them.

    Runs the model's NLU graph on batches of messages (the E5 featurizer then embeds a
    batch at once) instead of one graph run per message; every component processes
    each message on its own, so the results are the same.
    """
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT

    processor = Agent.load(model_path).processor
    target = processor.model_metadata.nlu_target
    results: List[Dict[str, Any]] = []
    for start in range(0, len(texts), batch_size):
        batch = [UserMessage(text) for text in texts[start:start + batch_size]]
        outputs = processor.graph_runner.run(
            inputs={PLACEHOLDER_MESSAGE: batch,
                    PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("bench_nlu_cv", [])},
            targets=[target],
        )[target]
        if len(outputs) != len(batch):
            raise RuntimeError(f"the NLU graph returned {len(outputs)} results for {len(batch)} messages")
        for message in outputs:
            parse_data = {TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, ENTITIES: []}
            parse_data.update(message.as_dict(only_output_properties=True))
            results.append(parse_data)
    return results


def run(args: argparse.Namespace) -> Dict[str, Any]:
    from rasa.model_training import train_nlu

    from orienta_rasa.language_detector import example_language

    data = load_training_data(args.nlu)
    examples = list(data.intent_examples)
    languages = [example_language(m) or UNKNOWN_LANGUAGE for m in examples]
    intents = [m.get("intent") for m in examples]
    kept = subsample(strata(languages, intents), args.limit_per_intent, args.seed)
    examples = [examples[i] for i in kept]
    languages = [languages[i] for i in kept]
    intents = [intents[i] for i in kept]
    folds = assign_folds(strata(languages, intents), args.folds, args.seed)
    print(f"{len(examples)} examples, {len(set(intents))} intents, languages {sorted(set(languages))}; "
          f"{args.folds} folds", flush=True)

    records: List[Dict[str, Any]] = []
    fold_runs: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nlu_cv_") as tmp:
        tmpdir = Path(tmp)
        config_path, config_text = effective_config(args.config, args.epochs, tmpdir)
        for fold in range(args.folds):
            train_index = [i for i, f in enumerate(folds) if f != fold]
            test_index = [i for i, f in enumerate(folds) if f == fold]
            fold_dir = tmpdir / f"fold{fold}"
            data_dir = fold_dir / "nlu"
            write_fold_data(data, [examples[i] for i in train_index], [languages[i] for i in train_index], data_dir)
            check_round_trip(data_dir, collections.Counter((languages[i], intents[i]) for i in train_index))
            print(f"fold {fold + 1}/{args.folds}: training on {len(train_index)}, "
                  f"holding out {len(test_index)}", flush=True)
            t0 = time.perf_counter()
            model = train_nlu(
                config=str(config_path),
                nlu_data=str(data_dir),
                output=str(fold_dir / "models"),
                fixed_model_name=f"fold{fold}",
                domain=str(args.domain),
            )
            train_seconds = time.perf_counter() - t0
            if not model:
                raise RuntimeError(f"training fold {fold} produced no model")
            texts = [examples[i].get("text") for i in test_index]
            t0 = time.perf_counter()
            parsed = parse_texts(model, texts)
            parse_seconds = time.perf_counter() - t0
            for i, text, p in zip(test_index, texts, parsed):
                records.append({
                    "fold": fold,
                    "text": text,
                    "language": languages[i],
                    "gold": intents[i],
                    "predicted": ((p.get("intent") or {}).get("name")) or "",
                    "predicted_language": p.get("language"),
                })
            fold_runs.append({
                "fold": fold + 1,
                "train_examples": len(train_index),
                "test_examples": len(test_index),
                "train_seconds": train_seconds,
                "parse_seconds": parse_seconds,
            })
            print(f"fold {fold + 1}/{args.folds}: trained in {train_seconds:.1f} s, "
                  f"parsed in {parse_seconds:.1f} s", flush=True)

    return {
        "date": datetime.date.today().isoformat(),
        "machine": machine_facts(),
        "config": _display_path(args.config),
        "config_text": config_text,
        "epochs": args.epochs,
        "folds": args.folds,
        "seed": args.seed,
        "limit_per_intent": args.limit_per_intent,
        "examples": len(examples),
        "target": args.target,
        "languages": per_language_metrics(records, target=args.target),
        "fold_runs": fold_runs,
        "errors": [r for r in records if r["gold"] != r["predicted"]],
    }


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5, help="number of folds K (default 5)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override DIETClassifier epochs (in a temporary copy of the config)")
    parser.add_argument("--limit-per-intent", type=int, default=None,
                        help="keep at most N examples per (language, intent), for smoke tests")
    parser.add_argument("--report", type=Path, default=ROOT / "reports" / "nlu_cv.md")
    parser.add_argument("--config", type=Path, default=ROOT / "bot" / "config.yml")
    parser.add_argument("--domain", type=Path, default=ROOT / "bot" / "domain")
    parser.add_argument("--nlu", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--target", type=float, default=TARGET_MACRO_F1)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    result = run(args)
    markdown = render_report(result)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(markdown, encoding="utf-8")
    args.report.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
