"""`orienta search` and `orienta index build` through the command's own entry point."""
import io
import json
from pathlib import Path

from orienta.cli import EXIT_INVALID, EXIT_OK, main

EXAMPLES = Path(__file__).resolve().parents[2] / "catalogue_index" / "sample" / "EXAMPLES.jsonl"


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_bad_filter_is_a_clear_error_before_anything_loads(tmp_path):
    status, _, err = run("search", "python", "--filter", "eqf=9", "--db", f"sqlite:///{tmp_path / 'c.db'}")
    assert status == EXIT_INVALID and "EQF levels are 1 to 8" in err


def test_search_after_import_in_json_and_for_a_person(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    index = str(tmp_path / "index")
    assert run("catalogue", "import", str(EXAMPLES), "--db", db)[0] == EXIT_OK
    status, out, _ = run("index", "build", "--db", db, "--index-dir", index, "--json")
    assert status == EXIT_OK and json.loads(out)["offers"] == 2
    status, out, _ = run("search", "nuotolinis saulės elektrinių stebėjimas", "--db", db, "--index-dir", index,
                         "--filter", "language=en", "--lang", "en", "--json")
    result = json.loads(out)
    assert status == EXIT_OK and result["relaxed"] == []
    top = result["hits"][0]
    assert top["offer_id"] == "ofr-saules-tinklai-akademija-pv-monitoring"
    assert top["title"] == "Monitoring and fault diagnosis of solar power plants" and not top["title_is_original"]
    status, out, _ = run("search", "python", "--db", db, "--index-dir", index, "--filter", "country=SI")
    assert status == EXIT_OK and out.startswith("Nothing met every filter; dropped: country")
    assert "1. Analiza datelor cu Python" in out
