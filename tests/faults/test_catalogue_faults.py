"""Faults with real processes: `orienta catalogue import` and `orienta index build` killed midway (SIGKILL)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from catalogue_index.search import fingerprint, load_documents, vector_texts
from catalogue_index.store import CatalogueStore
from catalogue_index.vector_index import CURRENT, METADATA_FILE, StaleIndexError, VectorIndex
from tests.e2e.conftest import PROJECT_ROOT
from tests.faults.conftest import orienta_cli

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
ORIENTA = str(PROJECT_ROOT / ".venv" / "bin" / "orienta")
QUERY = "data analysis for beginners"


def synthetic(path: Path, offers: int, seed: int) -> Path:
    subprocess.run([sys.executable, "-m", "catalogue_index.synthetic", "--offers", str(offers), "--seed", str(seed),
                    "--output", str(path)], cwd=PROJECT_ROOT, check=True, timeout=300)
    return path


def environment(var_dir: Path) -> dict:
    env = dict(os.environ, ORIENTA_VAR_DIR=str(var_dir))
    env.pop("ORIENTA_CATALOGUE_URL", None)
    return env


def counts(var_dir: Path) -> dict:
    return json.loads(orienta_cli(var_dir, "catalogue", "stats", "--json").stdout)["counts"]


def top_offers(var_dir: Path) -> list:
    return [hit["offer_id"] for hit in json.loads(orienta_cli(var_dir, "search", QUERY, "--json").stdout)["hits"]]


def kill_when(process: subprocess.Popen, ready, timeout: float = 300) -> None:
    """SIGKILL `process` as soon as `ready()` holds; fails if it finished first (then nothing was interrupted)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, "finished before it could be interrupted: make the work bigger"
        assert time.monotonic() < deadline, "never reached the point to interrupt"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL


def current_version(var_dir: Path) -> str:
    return os.readlink(var_dir / "index" / CURRENT)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    """A small catalogue with its search index, as a running Orienta would have."""
    var = tmp_path_factory.mktemp("catalogue-faults")
    orienta_cli(var, "catalogue", "import", str(synthetic(var / "base.jsonl", 40, seed=1)))
    orienta_cli(var, "index", "build")
    return var


def test_import_killed_midway_leaves_the_catalogue_and_search_as_they_were(var_dir):
    before, results = counts(var_dir), top_offers(var_dir)
    assert before["offer"] == 40 and results
    big = synthetic(var_dir / "big.jsonl", 30000, seed=2)  # same ids as the small one, and many more
    importing = subprocess.Popen([ORIENTA, "catalogue", "import", str(big)], cwd=PROJECT_ROOT,
                                 env=environment(var_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = var_dir / "catalogue.db-journal"
    written = []

    def writing_for_a_while():
        """The import's transaction has been writing pages for half a second (SQLite's rollback journal)."""
        if journal.exists() and journal.stat().st_size > 0:
            written.append(time.monotonic())
        return bool(written) and time.monotonic() - written[0] > 0.5

    kill_when(importing, writing_for_a_while)
    assert counts(var_dir) == before
    assert top_offers(var_dir) == results  # same catalogue, so the saved index still fits and is used


def test_index_build_killed_midway_keeps_the_old_index_which_is_then_refused_and_rebuilt(var_dir):
    index_dir = var_dir / "index"
    old_version = current_version(var_dir)
    old = json.loads((index_dir / CURRENT / METADATA_FILE).read_text())
    orienta_cli(var_dir, "catalogue", "import", str(synthetic(var_dir / "changed.jsonl", 150, seed=3)))
    documents = load_documents(CatalogueStore.from_url(f"sqlite:///{var_dir / 'catalogue.db'}"))
    new_fingerprint = fingerprint(documents)
    assert new_fingerprint != old["fingerprint"]

    building = subprocess.Popen([ORIENTA, "index", "build"], cwd=PROJECT_ROOT, env=environment(var_dir),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    loaded = []

    def watch():
        for line in building.stderr:
            if "Loading weights" in line and "100%" in line:  # the model is in; embedding starts
                loaded.append(time.monotonic())

    threading.Thread(target=watch, daemon=True).start()
    kill_when(building, lambda: bool(loaded) and time.monotonic() - loaded[0] > 1.0)  # ~220 texts to embed

    # the previous index is untouched: it loads, answers, and is what `current` points at
    assert current_version(var_dir) == old_version
    previous = VectorIndex.load(index_dir, old["model"], old["dimension"], old["fingerprint"])
    probe = np.eye(1, old["dimension"], dtype=np.float32)
    ids, _ = previous.search(probe, 5)
    assert len(ids) == 5 and all(0 <= i < old["count"] for i in ids)
    # ... but never for the changed catalogue: it is reported stale, so it gets rebuilt, not mixed
    with pytest.raises(StaleIndexError, match="fingerprint"):
        VectorIndex.load(index_dir, old["model"], old["dimension"], new_fingerprint)

    rebuilt = json.loads(orienta_cli(var_dir, "index", "build", "--json").stdout)
    assert rebuilt["fingerprint"] == new_fingerprint
    assert rebuilt["vectors"] == sum(len(vector_texts(d)) for d in documents)
    assert current_version(var_dir) != old_version and not (index_dir / old_version).exists()
