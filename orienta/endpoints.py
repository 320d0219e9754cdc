"""Renders Rasa's endpoints.yml from the settings, so operators configure URLs, not YAML.

The tracker store is given as one SQLAlchemy URL (`sqlite:///var/tracker.db`,
`postgresql://user:pass@host:5432/orienta`); Rasa's SQL tracker store wants its
parts. The lock store, needed as soon as two Rasa processes serve the same
conversations, is given as a Redis URL (`redis://:pass@host:6379/0`); without
one Rasa keeps its locks in memory, which is right for a single process only.
The Redis lock store is ours (bot/orienta_rasa/lock_store.py): Rasa's own takes
tickets with a non-atomic read and write, so two replicas could both hold a lock.
The file is written with owner-only permissions since it may hold a password.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from sqlalchemy.engine import make_url

from orienta.action_guard import action_endpoint_config
from orienta.settings import Settings

NLG_CLASS = "orienta_rasa.nlg.GettextNLG"
LOCK_STORE_CLASS = "orienta_rasa.lock_store.AtomicRedisLockStore"  # Rasa's RedisLockStore, atomic tickets
LOCK_KEY_PREFIX = "orienta"  # Redis keys become "orienta:lock:<conversation>", so a shared Redis is fine


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


def lock_store_config(url: str) -> Dict[str, Any]:
    """Lock store settings for `redis://[user:password@]host[:port][/db][?key_prefix=name]`.

    `rediss://` turns TLS on. The keys are Rasa `RedisLockStore`'s (the host as `url`, the rest as
    separate keys), for our subclass of it with atomic tickets (LOCK_STORE_CLASS).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"the lock store must be a Redis URL such as redis://127.0.0.1:6379/0, not {url!r}")
    database = parts.path.strip("/") or "0"
    if not database.isdigit():
        raise ValueError(f"the Redis database in {url!r} must be a number, e.g. redis://host:6379/0")
    query = parse_qs(parts.query)
    key_prefix = (query.get("key_prefix") or [LOCK_KEY_PREFIX])[-1]
    if not key_prefix.isalnum():
        raise ValueError(f"the lock store key_prefix must be letters and digits only, not {key_prefix!r}")
    config: Dict[str, Any] = {"type": LOCK_STORE_CLASS, "url": parts.hostname, "port": parts.port or 6379,
                              "db": int(database), "key_prefix": key_prefix}
    if parts.username:
        config["username"] = unquote(parts.username)
    if parts.password is not None:
        config["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    return config


def render_endpoints(settings: Settings) -> Dict[str, Any]:
    """The endpoints.yml content for these settings."""
    content: Dict[str, Any] = {
        "action_endpoint": action_endpoint_config(settings),  # through the action guard (orienta/action_guard.py)
        "nlg": {"type": NLG_CLASS},
        "tracker_store": tracker_store_config(settings.tracker_store),
    }
    if settings.lock_store_url:
        content["lock_store"] = lock_store_config(settings.lock_store_url)
    return content


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
