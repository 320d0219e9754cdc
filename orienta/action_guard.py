"""Where Rasa calls its actions: through the action guard inside the Rasa server (bot/orienta_rasa/action_guard.py).

The guard answers with a localized apology when the action server is down, so
both rendered files must agree: endpoints.yml points `action_endpoint` at the
guard's route with the API token as a bearer token, and credentials.yml enables
the guard with the real action server URL and the same token. Without an API
token (the Rasa HTTP API is then off too) Rasa calls the action server directly.
Setting: ORIENTA_ACTIONS_TIMEOUT, seconds the guard waits for an action (default 120).
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from orienta.settings import Settings

CHANNEL_CLASS = "orienta_rasa.action_guard.ActionGuardInput"
ROUTE = "/webhooks/action_guard/webhook"
DEFAULT_TIMEOUT = 120.0  # seconds; generous: the first search loads the embedding model (Rasa itself waits 300 s)


def action_endpoint_config(settings: Settings) -> Dict[str, Any]:
    """endpoints.yml `action_endpoint`: the guard on the Rasa server's loopback port, else the action server."""
    if not settings.api_token:
        return {"url": settings.action_endpoint_url}
    return {"url": f"http://127.0.0.1:{settings.rasa_port}{ROUTE}",
            "headers": {"Authorization": f"Bearer {settings.api_token}"}}


def action_guard_channel(env: Mapping[str, str]) -> Optional[Tuple[str, Dict[str, Any]]]:
    """credentials.yml entry enabling the guard (see `action_endpoint_config`)."""
    settings = Settings.from_env(env)
    if not settings.api_token:
        return None
    timeout = float((env.get("ORIENTA_ACTIONS_TIMEOUT") or "").strip() or DEFAULT_TIMEOUT)
    return CHANNEL_CLASS, {"url": settings.action_endpoint_url, "token": settings.api_token, "timeout": timeout}

