"""Load test: N concurrent simulated learners chatting with the running stack over REST.

Each learner plays realistic multi-turn conversations, one sender id each: the
test stories of bot/tests (greetings and knowledge questions, course searches
followed by "cheaper", "more results", "details of the first one", a complete
planner exchange) in all five languages, one after another without pausing
(`--think` adds a pause). Every turn is timed; a turn is an error when the
answer is not HTTP 200, times out, or holds no message. Turns finished during
the warm-up are not counted. Throughput is the turns finished inside the
measured window divided by its length.

    .venv/bin/python scripts/bench_load.py --url http://localhost:5005 --learners 20 --duration 60
    .venv/bin/python scripts/bench_load.py --start-stack   # own stack on free ports, temporary var dir

The report (markdown, per turn kind and overall, with the machine's load) goes
to stdout and to --report (default reports/load.md). The exit status is 1 when
any turn failed (and, with --strict, when a speed target was missed).
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
STORIES = ROOT / "bot" / "tests"
LANGUAGES = ("en", "ro", "pl", "sl", "lt")
TARGETS = {"turns_per_s": 30.0, "p95_ms": 500.0, "errors": 0}
GREETING = {"greet", "thanks", "goodbye", "bot_challenge"}
SEARCH_FOLLOW_UP = {"refine_search", "more_results", "explain_offer", "similar_offers"}
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


@dataclass(frozen=True)
class Turn:
    kind: str
    text: str


@dataclass(frozen=True)
class Script:
    name: str
    language: str
    turns: Tuple[Turn, ...]


@dataclass(frozen=True)
class Sample:
    kind: str
    started: float
    finished: float
    ok: bool
    error: Optional[str] = None

    @property
    def latency(self) -> float:
        return self.finished - self.started


# -- conversations ---------------------------------------------------------------------------------------------------

def turn_kind(story_file: str, intent: str, first_search_done: bool) -> str:
    """The kind a turn is reported under: greeting, knowledge, search, search follow-up, planner."""
    if "planner" in story_file:
        return "planner"
    if intent in GREETING:
        return "greeting"
    if intent == "find_course":
        return "search follow-up" if first_search_done else "search"
    if intent in SEARCH_FOLLOW_UP:
        return "search follow-up"
    return "knowledge"


def load_scripts(directory: Path = STORIES, languages: Sequence[str] = LANGUAGES) -> List[Script]:
    """Every test story of bot/tests/test_*_<lang>.yml as a learner's script (annotations removed)."""
    scripts: List[Script] = []
    for language in languages:
        for path in sorted(directory.glob(f"test_*_{language}.yml")):
            for story in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories") or []:
                turns: List[Turn] = []
                searched = False
                for step in story.get("steps") or []:
                    if "user" not in step:
                        continue
                    kind = turn_kind(path.name, step.get("intent", ""), searched)
                    searched = searched or kind == "search"
                    turns.append(Turn(kind, ANNOTATION.sub(r"\1", str(step["user"])).strip()))
                if turns:
                    scripts.append(Script(f"{path.stem}: {story.get('story', '')}", language, tuple(turns)))
    return scripts


# -- statistics ------------------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Summary:
    kind: str
    turns: int
    errors: int
    turns_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_examples: List[str] = field(default_factory=list)


def summarise(samples: Iterable[Sample], window: Tuple[float, float], kind: str = "all") -> Summary:
    """Turns finished inside `window` (start, end): their count, errors, rate and latency percentiles."""
    start, end = window
    counted = [s for s in samples if start <= s.finished <= end]
    latencies = [s.latency * 1000 for s in counted if s.ok]
    errors = [s for s in counted if not s.ok]
    seconds = end - start
    return Summary(
        kind=kind, turns=len(counted), errors=len(errors),
        turns_per_s=len(counted) / seconds if seconds > 0 else math.nan,
        p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95), p99_ms=percentile(latencies, 99),
        error_examples=sorted({s.error or "" for s in errors})[:5],
    )


def summaries(samples: Sequence[Sample], window: Tuple[float, float]) -> List[Summary]:
    """Overall first, then one line per turn kind."""
    kinds = sorted({s.kind for s in samples})
    return [summarise(samples, window)] + [summarise([s for s in samples if s.kind == k], window, k) for k in kinds]


def meets_targets(overall: Summary, learners: int) -> Dict[str, bool]:
    return {
        "0 errors": overall.errors <= TARGETS["errors"],
        f"≥{TARGETS['turns_per_s']:.0f} turns/s with {learners} learners": overall.turns_per_s >= TARGETS["turns_per_s"],
        f"p95 < {TARGETS['p95_ms']:.0f} ms": overall.p95_ms < TARGETS["p95_ms"],
    }


# -- the learners ----------------------------------------------------------------------------------------------------

async def play(client: httpx.AsyncClient, url: str, sender: str, script: Script, samples: List[Sample],
               think: float, timeout: float) -> None:
    """One conversation: every turn waits for the previous answer, as a person would."""
    for number, turn in enumerate(script.turns):
        body = {"sender": sender, "message": turn.text}
        if number == 0:
            body["metadata"] = {"language": script.language}  # as the widget sends the page's language
        started = time.monotonic()
        error = None
        try:
            response = await client.post(f"{url}/webhooks/rest/webhook", json=body, timeout=timeout)
            if response.status_code != 200:
                error = f"HTTP {response.status_code}"
            elif not response.json():
                error = "empty reply"
        except (httpx.HTTPError, ValueError) as problem:
            error = f"{type(problem).__name__}"
        samples.append(Sample(turn.kind, started, time.monotonic(), error is None, error and f"{turn.kind}: {error}"))
        if think:
            await asyncio.sleep(think)


async def learner(number: int, client: httpx.AsyncClient, url: str, scripts: Sequence[Script], stop_at: float,
                  samples: List[Sample], think: float, timeout: float, run_id: str) -> None:
    order = list(scripts)
    random.Random(number).shuffle(order)
    conversation = 0
    while time.monotonic() < stop_at:
        script = order[conversation % len(order)]
        await play(client, url, f"load-{run_id}-{number}-{conversation}", script, samples, think, timeout)
        conversation += 1


async def run_load(url: str, learners: int, duration: float, warmup: float, think: float = 0.0,
                   timeout: float = 30.0, scripts: Optional[Sequence[Script]] = None) -> Tuple[List[Sample], Tuple[float, float]]:
    """Drive the stack for warmup + duration seconds; returns the samples and the measured window."""
    scripts = list(scripts or load_scripts())
    samples: List[Sample] = []
    run_id = f"{int(time.time())}"
    limits = httpx.Limits(max_connections=learners, max_keepalive_connections=learners)
    async with httpx.AsyncClient(limits=limits) as client:
        began = time.monotonic()
        window = (began + warmup, began + warmup + duration)
        await asyncio.gather(*(learner(n, client, url, scripts, window[1], samples, think, timeout, run_id)
                               for n in range(learners)))
    return samples, window


# -- the report ------------------------------------------------------------------------------------------------------

def machine_state() -> str:
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPU cores, load average (1/5/15 min) {load}"


def render_report(results: Sequence[Summary], learners: int, duration: float, warmup: float, url: str,
                  before: str, after: str, notes: str = "") -> str:
    overall = results[0]
    lines = [
        "# Load: concurrent learners over REST",
        "",
        f"`scripts/bench_load.py --learners {learners} --duration {duration:g} --warmup {warmup:g}` against {url}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Each learner plays the test stories of bot/tests "
        "(greetings, knowledge questions, course searches with follow-ups, a planner exchange) in en, ro, pl, sl "
        "and lt, one sender id per conversation, without pauses.",
        "",
        f"Machine before: {before}. After: {after}.",
        "",
        "| turn kind | turns | errors | turns/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results:
        lines.append(f"| {s.kind} | {s.turns} | {s.errors} | {s.turns_per_s:.1f} | {s.p50_ms:.0f} | "
                     f"{s.p95_ms:.0f} | {s.p99_ms:.0f} |")
    lines += ["", "Targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}"
                                          for name, ok in meets_targets(overall, learners).items()) + "."]
    examples = [e for s in results[1:] for e in s.error_examples]
    if examples:
        lines += ["", "Errors seen: " + "; ".join(examples) + "."]
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:5005", help="the Rasa server (default %(default)s)")
    parser.add_argument("--learners", type=int, default=20, help="concurrent learners (default %(default)s)")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds not counted at the start (default %(default)s)")
    parser.add_argument("--think", type=float, default=0.0, help="pause after each answer, seconds (default 0)")
    parser.add_argument("--timeout", type=float, default=30.0, help="a turn slower than this is an error")
    parser.add_argument("--start-stack", action="store_true",
                        help="start scripts/run.sh on free ports with a temporary var dir, and stop it after")
    parser.add_argument("--report", type=Path, default=ROOT / "reports" / "load.md")
    parser.add_argument("--notes", type=Path, help="markdown appended to the report (e.g. profiling findings)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when the speed targets are missed too (errors always make it fail)")
    args = parser.parse_args(argv)

    stack = None
    url = args.url.rstrip("/")
    if args.start_stack:
        sys.path.insert(0, str(ROOT))
        from tests.e2e.conftest import free_port, start_stack

        stack = start_stack(Path(tempfile.mkdtemp(prefix="orienta-load-")), free_port(), free_port())
        url = stack.rasa_url
    try:
        before = machine_state()
        samples, window = asyncio.run(run_load(url, args.learners, args.duration, args.warmup, args.think,
                                               args.timeout))
        after = machine_state()
    finally:
        if stack is not None:
            stack.stop()
    results = summaries(samples, window)
    notes = args.notes.read_text(encoding="utf-8") if args.notes else ""
    report = render_report(results, args.learners, args.duration, args.warmup, url, before, after, notes)
    print(report)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report, encoding="utf-8")
    if results[0].errors or (args.strict and not all(meets_targets(results[0], args.learners).values())):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
