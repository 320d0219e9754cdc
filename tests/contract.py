"""Reads ../shared/contract/topics.yml, the topic ids the bot's intents must follow.

The file is not strict YAML (a flow mapping holds an unquoted '?'), so the
topic ids are read line by line: sections at column 0, topic ids indented by two.
"""
import os
import re
from pathlib import Path
from typing import Dict, List

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("ORIENTA_SHARED_DIR", PROJECT_ROOT.parent / "shared"))


def contract_topics(path: Path = SHARED_DIR / "contract" / "topics.yml") -> Dict[str, List[str]]:
    sections: Dict[str, List[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        section = re.match(r"^([a-z_]+):\s*$", line)
        if section:
            current = sections.setdefault(section.group(1), [])
            continue
        topic = re.match(r"^  ([a-z_]+):", line)
        if topic and current is not None:
            current.append(topic.group(1))
    return sections
