"""The load generator's statistics and conversations (scripts/bench_load.py), without a server."""
import asyncio
import importlib.util
import json
import math
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_load", ROOT / "scripts" / "bench_load.py")
bench = sys.modules["bench_load"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.mark.parametrize("q, expected", [(0, 1.0), (50, 5.5), (95, 9.55), (99, 9.91), (100, 10.0)])
def test_percentile_interpolates_like_numpy(q, expected):
    assert bench.percentile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], q) == pytest.approx(expected)


def test_percentile_of_one_and_of_none():
    assert bench.percentile([42.0], 99) == 42.0
    assert math.isnan(bench.percentile([], 50))


def test_summary_counts_only_the_window_and_keeps_errors_out_of_latency():
    samples = [
        bench.Sample("search", 0.0, 0.5, True),  # finished during the warm-up: not counted
        bench.Sample("search", 1.0, 1.2, True),
        bench.Sample("search", 2.0, 2.4, True),
        bench.Sample("greeting", 3.0, 3.1, True),
        bench.Sample("greeting", 3.0, 9.0, False, "greeting: ReadTimeout"),  # slow error: no latency sample
        bench.Sample("greeting", 10.5, 10.6, True),  # after the window
    ]
    overall, greeting, search = bench.summaries(samples, (1.0, 10.0))
    assert (overall.kind, overall.turns, overall.errors) == ("all", 4, 1)
    assert overall.turns_per_s == pytest.approx(4 / 9)
    assert overall.p50_ms == pytest.approx(200)
    assert (greeting.kind, greeting.turns, greeting.errors, greeting.p99_ms) == ("greeting", 2, 1, pytest.approx(100))
    assert greeting.error_examples == ["greeting: ReadTimeout"]
    assert (search.turns, search.p50_ms) == (2, pytest.approx(300))


def test_targets():
    good = bench.Summary("all", 3000, 0, 31.0, 120, 450, 700)
    assert all(bench.meets_targets(good, 20).values())
    slow = bench.Summary("all", 3000, 2, 25.0, 120, 650, 900)
    assert not any(bench.meets_targets(slow, 20).values())


def test_scripts_cover_every_language_and_kind_without_annotations():
    scripts = bench.load_scripts()
    assert {s.language for s in scripts} == set(bench.LANGUAGES)
    kinds = {t.kind for s in scripts for t in s.turns}
    assert kinds == {"greeting", "knowledge", "search", "search follow-up", "planner"}
    assert not any("{" in t.text or "[" in t.text for s in scripts for t in s.turns)


def test_turn_kinds():
    assert bench.turn_kind("test_planner_pl.yml", "find_course", False) == "planner"
    assert bench.turn_kind("test_search_pl.yml", "find_course", False) == "search"
    assert bench.turn_kind("test_search_pl.yml", "find_course", True) == "search follow-up"
    assert bench.turn_kind("test_search_pl.yml", "more_results", True) == "search follow-up"
    assert bench.turn_kind("test_stories_pl.yml", "definition", False) == "knowledge"


class _Bot(BaseHTTPRequestHandler):
    """A loopback stand-in for Rasa's REST channel: answers, except 'fail' (500) and 'silent' (no message)."""

    def do_POST(self):  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status, reply = {"fail": (500, []), "silent": (200, [])}.get(body["message"], (200, [{"text": "hi"}]))
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_run_load_classifies_errors_and_uses_one_sender_per_conversation():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = bench.Script("t", "pl", (bench.Turn("greeting", "hello"), bench.Turn("search", "fail"),
                                      bench.Turn("knowledge", "silent")))
    try:
        samples, window = asyncio.run(bench.run_load(f"http://127.0.0.1:{server.server_port}", learners=2,
                                                     duration=0.5, warmup=0.0, scripts=[script]))
    finally:
        server.shutdown()
    by_kind = {s.kind: s for s in bench.summaries(samples, (window[0], window[1] + 5))[1:]}
    assert by_kind["greeting"].errors == 0 and by_kind["greeting"].turns > 0
    assert by_kind["search"].errors == by_kind["search"].turns and by_kind["search"].error_examples == ["search: HTTP 500"]
    assert by_kind["knowledge"].error_examples == ["knowledge: empty reply"]
    report = bench.render_report(bench.summaries(samples, window), 2, 0.5, 0, "http://x", "a", "b")
    assert "| all |" in report and "0 errors: MISSED" in report
