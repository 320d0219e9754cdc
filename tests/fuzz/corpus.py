"""The corpus of nasty inputs (nasty_inputs.yaml) as (name, text) pairs, for the fuzz, plugin and e2e tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Tuple

import yaml

CORPUS = Path(__file__).with_name("nasty_inputs.yaml")


def nasty_inputs() -> List[Tuple[str, str]]:
    pairs = []
    for entry in yaml.safe_load(CORPUS.read_text(encoding="utf-8")):
        text = json.loads(entry["json"]) if "json" in entry else entry["text"]
        pairs.append((entry["name"], text * int(entry.get("repeat", 1))))
    return pairs
