"""NLU accuracy on messages the model never saw in training, per language.

Loads the trained Rasa model, parses every example of the held-out set
(tests/nlu_heldout/<lang>.yml and every task set <prefix>_<lang>.yml, e.g. search_, planner_, handoff_) and reports, per language: intent accuracy,
macro-F1, language-detection accuracy, and the most confused topic pairs.
Runs in the Rasa environment: `make bench`.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import json
import resource
import sys
import time
from pathlib import Path

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import f1_score

from orienta_rasa.language_detector import example_language


async def parse_all(agent: Agent, texts):
    results = []
    for text in texts:
        results.append(await agent.parse_message(text))
    return results


def evaluate(model: str, heldout: Path) -> dict:
    started = time.perf_counter()
    agent = Agent.load(model)
    load_seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_language = {}
    by_language = collections.defaultdict(list)
    for path in sorted(heldout.glob("*.yml")):  # <lang>.yml and any <prefix>_<lang>.yml
        by_language[path.stem.rsplit("_", 1)[-1]].extend(load_data(str(path)).intent_examples)
    for language, examples in sorted(by_language.items()):
        texts = [m.get("text") for m in examples]
        t0 = time.perf_counter()
        parsed = asyncio.run(parse_all(agent, texts))
        seconds = time.perf_counter() - t0
        gold = [m.get("intent") for m in examples]
        predicted = [p["intent"]["name"] for p in parsed]
        gold_languages = [example_language(m) for m in examples]
        confusions = collections.Counter(
            (g, p) for g, p in zip(gold, predicted) if g != p
        )
        per_language[language] = {
            "examples": len(examples),
            "intent_accuracy": sum(g == p for g, p in zip(gold, predicted)) / len(examples),
            "macro_f1": f1_score(gold, predicted, average="macro", labels=sorted(set(gold)), zero_division=0),
            "language_accuracy": sum(
                g == p.get("language") for g, p in zip(gold_languages, parsed)
            ) / len(examples),
            "language_undetermined": sum(p.get("language") == "und" for p in parsed) / len(examples),
            "ms_per_parse": 1000 * seconds / len(examples),
            "confused": [f"{g} -> {p} ({n})" for (g, p), n in confusions.most_common(5)],
            "errors": [
                {"text": t, "gold": g, "predicted": p["intent"]["name"], "language": p.get("language")}
                for t, g, p in zip(texts, gold, parsed) if g != p["intent"]["name"]
            ],
        }
    return {"model": model, "load_seconds": load_seconds, "max_rss_mb": rss_mb, "languages": per_language}


def to_markdown(result: dict) -> str:
    lines = [
        "# NLU on held-out messages",
        "",
        f"Measured {datetime.date.today().isoformat()} with `make bench` on this machine "
        f"(model `{result['model']}`, loaded in {result['load_seconds']:.1f} s; "
        f"peak RSS of the evaluating process {result['max_rss_mb']:.0f} MB).",
        "",
        "| language | examples | intent accuracy | macro-F1 | language detected right | undetermined | ms/parse |",
        "|---|---|---|---|---|---|---|",
    ]
    for lang, r in result["languages"].items():
        lines.append(
            f"| {lang} | {r['examples']} | {r['intent_accuracy']:.3f} | {r['macro_f1']:.3f} | "
            f"{r['language_accuracy']:.3f} | {r['language_undetermined']:.3f} | {r['ms_per_parse']:.1f} |"
        )
    lines += ["", "## Most confused topics", ""]
    for lang, r in result["languages"].items():
        lines.append(f"- **{lang}**: " + (", ".join(r["confused"]) or "none"))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--heldout", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    result = evaluate(args.model, args.heldout)
    markdown = to_markdown(result)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(markdown, encoding="utf-8")
    args.report.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
