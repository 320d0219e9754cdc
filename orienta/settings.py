"""Settings read from the environment, each with a documented default (see README)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orienta"


@dataclass(frozen=True)
class Settings:
    """Everything an operator can change without touching code."""

    rasa_port: int = 5005
    actions_host: str = "127.0.0.1"
    actions_port: int = 5055
    var_dir: Path = PROJECT_ROOT / "var"
    cache_dir: Path = field(default_factory=lambda: _default_cache_dir(os.environ))
    tracker_store_url: Optional[str] = None  # default: SQLite file in var_dir
    embedding_model: Optional[str] = None  # default: the local e5 folder in cache_dir
    api_token: Optional[str] = None
    lock_store_url: Optional[str] = None  # default: Rasa's in-memory lock store (one Rasa process only)
    actions_url: Optional[str] = None  # default: http://{actions_host}:{actions_port}/webhook

    @property
    def action_endpoint_url(self) -> str:
        """Where Rasa calls the actions: the override (e.g. a load balancer) or the local action server."""
        return self.actions_url or f"http://{self.actions_host}:{self.actions_port}/webhook"

    @property
    def tracker_store(self) -> str:
        return self.tracker_store_url or f"sqlite:///{self.var_dir / 'tracker.db'}"

    @property
    def embedding_model_path(self) -> str:
        return self.embedding_model or str(self.cache_dir / "models" / "multilingual-e5-small-q4")

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        env = os.environ if env is None else env
        defaults = cls(cache_dir=_default_cache_dir(env))

        def get(name: str) -> Optional[str]:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            rasa_port=int(get("ORIENTA_RASA_PORT") or defaults.rasa_port),
            actions_host=get("ORIENTA_ACTIONS_HOST") or defaults.actions_host,
            actions_port=int(get("ORIENTA_ACTIONS_PORT") or defaults.actions_port),
            var_dir=Path(get("ORIENTA_VAR_DIR") or defaults.var_dir),
            cache_dir=Path(get("ORIENTA_CACHE_DIR") or defaults.cache_dir),
            tracker_store_url=get("ORIENTA_TRACKER_STORE_URL"),
            embedding_model=get("ORIENTA_EMBEDDING_MODEL"),
            api_token=get("ORIENTA_API_TOKEN"),
            lock_store_url=get("ORIENTA_LOCK_STORE_URL"),
            actions_url=get("ORIENTA_ACTIONS_URL"),
        )
