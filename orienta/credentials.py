"""Renders Rasa's credentials.yml (the channels it listens on) from the environment.

Each channel owns one function here that returns its entry, or None when the
channel is not configured; operators enable a messaging channel by setting its
environment variables (README, "Channels"), never by editing YAML. Tokens and
secrets come only from the environment, and the file is written owner-only.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

ChannelEntry = Optional[Tuple[str, Dict[str, Any]]]
ChannelRenderer = Callable[[Mapping[str, str]], ChannelEntry]


def _get(env: Mapping[str, str], name: str, default: Optional[str] = None) -> Optional[str]:
    value = (env.get(name) or "").strip()
    return value or default


def rest_channel(env: Mapping[str, str]) -> ChannelEntry:
    """REST: POST /webhooks/rest/webhook (always on; the e2e tests and load generator use it)."""
    return "rest", {}


# Channel renderers in the order they appear in credentials.yml. A channel module
# adds its own function to this list.
CHANNELS: List[ChannelRenderer] = [rest_channel]


def render_credentials(env: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The credentials.yml content for this environment."""
    env = os.environ if env is None else env
    content: Dict[str, Any] = {}
    for renderer in CHANNELS:
        entry = renderer(env)
        if entry is not None:
            name, config = entry
            content[name] = config or None
    return content


def write_credentials(path: Path, env: Optional[Mapping[str, str]] = None) -> Path:
    """Write credentials.yml with mode 0600 (it may hold channel tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(render_credentials(env), handle, sort_keys=False, allow_unicode=True)
    return path


def main() -> None:
    """`python -m orienta.credentials PATH`: used by scripts/run.sh."""
    import sys

    print(write_credentials(Path(sys.argv[1])))


if __name__ == "__main__":
    main()
