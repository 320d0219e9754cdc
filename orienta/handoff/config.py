"""Handoff settings, from the environment (README, "Handoff to a person")."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from orienta.settings import PROJECT_ROOT

WEBHOOK_FORMATS = ("slack", "mattermost", "teams")


@dataclass(frozen=True)
class HandoffSettings:
    """Where requests are stored, whom to notify, and how long the bot waits."""

    database_url: str
    webhook_url: Optional[str] = None
    webhook_format: str = "slack"
    # The bot stays paused for this long unless a counsellor resolves the request sooner.
    pause_minutes: float = 30.0
    # How the counsellors' team is addressed in notifications and which language they read.
    counsellor_language: str = "en"
    # Retry back-off of failed notifications: first delay, doubling up to the cap; never given up.
    retry_first_seconds: float = 5.0
    retry_max_seconds: float = 600.0
    webhook_timeout_seconds: float = 5.0
    worker_interval_seconds: float = 5.0
    rasa_url: str = "http://localhost:5005"
    rasa_token: Optional[str] = None

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "HandoffSettings":
        env = os.environ if env is None else env

        def get(name: str) -> Optional[str]:
            value = (env.get(name) or "").strip()
            return value or None

        var_dir = Path(get("ORIENTA_VAR_DIR") or PROJECT_ROOT / "var")
        token = get("ORIENTA_API_TOKEN")
        if token is None and (var_dir / "api_token").is_file():
            token = (var_dir / "api_token").read_text(encoding="utf-8").strip() or None
        webhook_format = (get("ORIENTA_HANDOFF_WEBHOOK_FORMAT") or "slack").lower()
        if webhook_format not in WEBHOOK_FORMATS:
            raise ValueError(f"ORIENTA_HANDOFF_WEBHOOK_FORMAT must be one of {', '.join(WEBHOOK_FORMATS)}")
        return cls(
            database_url=get("ORIENTA_HANDOFF_URL") or f"sqlite:///{var_dir / 'handoff.db'}",
            webhook_url=get("ORIENTA_HANDOFF_WEBHOOK_URL"),
            webhook_format=webhook_format,
            pause_minutes=float(get("ORIENTA_HANDOFF_PAUSE_MINUTES") or 30),
            counsellor_language=get("ORIENTA_COUNSELLOR_LANGUAGE") or "en",
            retry_first_seconds=float(get("ORIENTA_HANDOFF_RETRY_SECONDS") or 5),
            retry_max_seconds=float(get("ORIENTA_HANDOFF_RETRY_MAX_SECONDS") or 600),
            worker_interval_seconds=float(get("ORIENTA_HANDOFF_WORKER_SECONDS") or 5),
            rasa_url=get("ORIENTA_RASA_URL") or f"http://localhost:{get('ORIENTA_RASA_PORT') or 5005}",
            rasa_token=token,
        )
