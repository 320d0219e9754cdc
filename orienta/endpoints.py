"""Renders Rasa's endpoints.yml from the settings, so operators configure URLs, not YAML.

The tracker store is given as one SQLAlchemy URL (`sqlite:///var/tracker.db`,
`postgresql://user:pass@host:5432/orienta`); Rasa's SQL tracker store wants its
parts. The file is written with owner-only permissions since it may hold a password.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

import yaml
from sqlalchemy.engine import make_url

from orienta.settings import Settings

NLG_CLASS = "orienta_rasa.nlg.GettextNLG"


def tracker_store_config(url: str) -> Dict[str, Any]:
    """Rasa `SQLTrackerStore` settings for a SQLAlchemy URL."""
    parsed = make_url(url)
    config: Dict[str, Any] = {"type": "SQL", "dialect": parsed.drivername, "db": parsed.database}
    if parsed.drivername.startswith("sqlite"):
        if not parsed.database:
            raise ValueError("a SQLite tracker store needs a file path, e.g. sqlite:///var/tracker.db")
        return config
    for key, value in (
        ("url", parsed.host),
        ("port", parsed.port),
        ("username", parsed.username),
        ("password", parsed.password),
    ):
        if value is not None:
            config[key] = value
    if parsed.query:
        config["query"] = dict(parsed.query)
    return config


def render_endpoints(settings: Settings) -> Dict[str, Any]:
    """The endpoints.yml content for these settings."""
    return {
        "action_endpoint": {"url": f"http://{settings.actions_host}:{settings.actions_port}/webhook"},
        "nlg": {"type": NLG_CLASS},
        "tracker_store": tracker_store_config(settings.tracker_store),
    }


def write_endpoints(settings: Settings, path: Path) -> Path:
    """Write endpoints.yml (mode 0600) and create the SQLite file's folder if needed."""
    content = render_endpoints(settings)
    store = content["tracker_store"]
    if store["dialect"].startswith("sqlite"):
        Path(store["db"]).parent.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(content, handle, sort_keys=False)
    return path


def main() -> None:
    """`python -m orienta.endpoints PATH`: used by scripts/run.sh."""
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().var_dir / "endpoints.yml"
    print(write_endpoints(Settings.from_env(), target))


if __name__ == "__main__":
    main()
