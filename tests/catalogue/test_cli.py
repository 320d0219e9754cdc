"""`orienta catalogue ...`: readable output, --json for scripts, non-zero exit with a clear message."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from orienta.cli import EXIT_ERROR, EXIT_INVALID, main

from .conftest import EDX_MAPPING, EXAMPLES, FIXTURES, PROJECT, shared


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ORIENTA_CATALOGUE_URL", url)
    yield url
    from catalogue_index import db

    db.dispose_engines()


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_import_then_stats_readable_and_json(db_url):
    status, out, err = run("catalogue", "import", str(FIXTURES / "valid.jsonl"))
    assert status == 0 and "Imported" in out and "10 records" in out
    assert "offers" in out and err == ""
    status, out, _ = run("catalogue", "stats")
    assert status == 0 and "offers" in out and "Last import" in out
    status, out, _ = run("catalogue", "stats", "--json")
    stats = json.loads(out)
    assert stats["counts"] == {"provider": 3, "offer": 4, "pathway": 1, "recognition": 2}
    assert stats["offers"]["by_eqf_level"] == {"4": 1, "6": 2, "not stated": 1}


def test_import_json_output_and_idempotence(db_url):
    status, out, _ = run("catalogue", "import", str(EXAMPLES), "--json")
    assert status == 0 and json.loads(out)["created"]["offer"] == 2
    status, out, _ = run("catalogue", "import", str(EXAMPLES), "--json")
    assert json.loads(out)["unchanged"]["offer"] == 2


def test_a_broken_file_exits_non_zero_with_the_location(db_url):
    run("catalogue", "import", str(FIXTURES / "valid.jsonl"))
    status, out, err = run("catalogue", "import", str(FIXTURES / "unknown_language.jsonl"))
    assert status == EXIT_INVALID and out == ""
    assert "unknown_language.jsonl, record 2 (ofr-pw-test-unknown-lang), field 'languages[1]': unknown language code 'xx'" in err
    assert "nothing was imported" in err
    status, out, _ = run("catalogue", "import", str(FIXTURES / "broken_json.jsonl"), "--json")
    report = json.loads(out)
    assert status == EXIT_INVALID and report["ok"] is False
    assert report["issues"][0]["record"] == 2 and "invalid JSON" in report["issues"][0]["reason"]


def test_other_errors_exit_3(db_url, tmp_path):
    status, _, err = run("catalogue", "import", str(tmp_path / "nope.jsonl"))
    assert status == EXIT_ERROR and "no such file" in err
    status, _, err = run("catalogue", "import", "http://insecure.example.org/x.jsonl")
    assert status == EXIT_ERROR and "only https://" in err
    status, _, err = run("catalogue", "import", str(FIXTURES / "tiny.csv"))
    assert status == EXIT_ERROR and "--mapping" in err


def test_validate_never_writes(db_url):
    status, out, _ = run("catalogue", "validate", str(FIXTURES / "valid.jsonl"))
    assert status == 0 and "is valid: 3 providers, 4 offers, 1 pathways, 2 recognition statements" in out
    status, out, _ = run("catalogue", "validate", str(FIXTURES / "missing_title.jsonl"), "--json")
    assert status == EXIT_INVALID
    # the broken file refers to a provider that is only in the store: without --against-store that is an error too
    assert {i["field"] for i in json.loads(out)["issues"]} == {"provider", "title"}
    run("catalogue", "import", str(FIXTURES / "valid.jsonl"))
    status, out, _ = run("catalogue", "validate", str(FIXTURES / "missing_title.jsonl"), "--against-store", "--json")
    assert [i["field"] for i in json.loads(out)["issues"]] == ["title"]
    _, out, _ = run("catalogue", "stats", "--json")
    assert json.loads(out)["counts"]["offer"] == 4


def test_export_to_a_file_and_to_stdout(db_url, tmp_path):
    run("catalogue", "import", str(EXAMPLES))
    status, out, _ = run("catalogue", "export")
    assert status == 0 and len(out.splitlines()) == 8 and json.loads(out.splitlines()[0])["type"] == "provider"
    target = tmp_path / "out" / "catalogue.jsonl"
    status, message, _ = run("catalogue", "export", "--output", str(target))
    assert status == 0 and "Exported 8 records" in message
    assert target.read_text(encoding="utf-8") == out
    assert not list(target.parent.glob(".*.tmp"))


def test_edx_csv_through_the_command_line(db_url):
    status, out, err = run("catalogue", "import", str(shared("edx-courses/edx_courses.csv")),
                           "--mapping", str(EDX_MAPPING), "--json")
    assert status == 0 and json.loads(out)["created"]["offer"] == 974
    assert "identical repeat" in json.loads(out)["warnings"][0]["reason"]


def test_elm_through_the_command_line(db_url):
    status, out, _ = run("catalogue", "import", str(shared("elm-mynextid")), "--format", "elm")
    assert status == 0 and "Imported" in out


def test_the_module_runs_as_a_program(db_url, tmp_path):
    result = subprocess.run([sys.executable, "-m", "orienta.cli", "catalogue", "stats", "--json"], cwd=PROJECT,
                            capture_output=True, text=True, env={"ORIENTA_CATALOGUE_URL": db_url, "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["offer"] == 0


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as caught:
        main(["catalogue", "import"])
    assert caught.value.code == 2


def test_if_empty_imports_only_into_an_empty_store(db_url):
    status, out, _ = run("catalogue", "import", str(EXAMPLES), "--if-empty")
    assert status == 0 and "Imported" in out
    status, out, _ = run("catalogue", "import", str(FIXTURES / "valid.jsonl"), "--if-empty", "--json")
    assert status == 0 and json.loads(out) == {"ok": True, "skipped": True, "offers": 2}


def test_an_unreachable_store_is_a_clear_error():
    status, _, err = run("catalogue", "stats", "--db", "postgresql://orienta:secret@127.0.0.1:1/nowhere")
    assert status == EXIT_ERROR and "cannot open the catalogue store" in err
    assert "secret" not in err
