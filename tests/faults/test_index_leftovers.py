"""What a killed index build leaves behind: ignored by readers, removed by the next build once old enough."""
import os
import time

import numpy as np

from catalogue_index.vector_index import CURRENT, VectorIndex, remove_leftovers


def index(count, fingerprint):
    rng = np.random.default_rng(count)
    return VectorIndex.build(rng.normal(size=(count, 8)).astype(np.float32), np.arange(count), "m", fingerprint)


def age(path, seconds):
    old = time.time() - seconds
    os.utime(path, (old, old), follow_symlinks=False)


def test_leftovers_of_killed_builds_go_and_a_running_build_keeps_its_own(tmp_path):
    serving = index(5, "fp1").save(tmp_path)
    killed_staging = tmp_path / ".v1.tmp"  # killed while writing
    killed_staging.mkdir()
    (killed_staging / "vectors.faiss").write_bytes(b"half")
    unswapped = tmp_path / "v2"  # killed between the rename and the swap
    unswapped.mkdir()
    link = tmp_path / f".{CURRENT}.v2"
    os.symlink("v2", link)
    running = tmp_path / ".v3.tmp"  # another process building right now
    running.mkdir()
    for path in (killed_staging, unswapped, link):
        age(path, 7200)

    assert VectorIndex.load(tmp_path, "m", 8, "fp1").metadata.count == 5  # readers only follow `current`
    remove_leftovers(tmp_path, keep=serving)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CURRENT, serving.name, running.name])

    newer = index(7, "fp2").save(tmp_path)  # a build cleans up too, and keeps the fresh staging folder
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CURRENT, newer.name, running.name])
    assert VectorIndex.load(tmp_path, "m", 8, "fp2").metadata.count == 7
