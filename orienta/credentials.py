"""Renders Rasa's credentials.yml (the channels it listens on) from the environment.

Each channel owns one function here that returns its entry, or None when the
channel is not configured; operators enable a messaging channel by setting its
environment variables (README, "Channels"), never by editing YAML. Tokens and
secrets come only from the environment, and the file is written owner-only.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

from orienta.action_guard import action_guard_channel

ChannelEntry = Optional[Tuple[str, Dict[str, Any]]]
ChannelRenderer = Callable[[Mapping[str, str]], ChannelEntry]


def _get(env: Mapping[str, str], name: str, default: Optional[str] = None) -> Optional[str]:
    value = (env.get(name) or "").strip()
    return value or default


REST_CHANNEL_CLASS = "orienta_rasa.channels.rest.GuardedRestInput"


def rest_channel(env: Mapping[str, str]) -> ChannelEntry:
    """REST: POST /webhooks/rest/webhook (always on; the e2e tests and load generator use it).

    Rasa's RestInput behind the message guard (bot/orienta_rasa/channels/rest.py): localized 400s for
    malformed bodies, message length and rate limits.
    """
    return REST_CHANNEL_CLASS, {}


def _required(env: Mapping[str, str], channel: str, names: Tuple[str, ...]) -> Optional[Dict[str, str]]:
    """All of the channel's required variables, or None when none is set; a partial set is a mistake."""
    values = {name: _get(env, name) for name in names}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(names):
        return None
    if missing:
        raise ValueError(f"{channel} channel: {', '.join(missing)} must be set too (or unset the others)")
    return values  # type: ignore[return-value]


def telegram_channel(env: Mapping[str, str]) -> ChannelEntry:
    """Telegram (bot/orienta_rasa/channels/telegram.py): on when ORIENTA_TELEGRAM_TOKEN and _WEBHOOK_URL are set.

    ORIENTA_TELEGRAM_API_URL: the Bot API server (default https://api.telegram.org, or a self-hosted one);
    ORIENTA_TELEGRAM_SECRET: the webhook secret (default: derived from the token).
    """
    from orienta.settings import Settings  # here, so that importing this module reads no settings

    values = _required(env, "Telegram", ("ORIENTA_TELEGRAM_TOKEN", "ORIENTA_TELEGRAM_WEBHOOK_URL"))
    if values is None:
        return None
    config: Dict[str, Any] = {
        "access_token": values["ORIENTA_TELEGRAM_TOKEN"],
        "webhook_url": values["ORIENTA_TELEGRAM_WEBHOOK_URL"],
        "api_url": _get(env, "ORIENTA_TELEGRAM_API_URL", "https://api.telegram.org"),
        "button_store": str(Settings.from_env(env).var_dir / "telegram_buttons.db"),
    }
    secret = _get(env, "ORIENTA_TELEGRAM_SECRET")
    if secret:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("ORIENTA_TELEGRAM_SECRET: 1-256 characters, only A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        config["secret_token"] = secret
    return "orienta_rasa.channels.telegram.OrientaTelegramInput", config


def mattermost_channel(env: Mapping[str, str]) -> ChannelEntry:
    """Mattermost (bot/orienta_rasa/channels/mattermost.py): on when its four variables are set.

    ORIENTA_MATTERMOST_URL (the server, e.g. https://chat.example.org), ORIENTA_MATTERMOST_TOKEN (the bot
    account's access token), ORIENTA_MATTERMOST_HOOK_TOKEN (the outgoing webhook's token) and
    ORIENTA_MATTERMOST_WEBHOOK_URL (this server's public /webhooks/mattermost/webhook, for the buttons).
    """
    names = ("ORIENTA_MATTERMOST_URL", "ORIENTA_MATTERMOST_TOKEN", "ORIENTA_MATTERMOST_HOOK_TOKEN",
             "ORIENTA_MATTERMOST_WEBHOOK_URL")
    values = _required(env, "Mattermost", names)
    if values is None:
        return None
    return "orienta_rasa.channels.mattermost.OrientaMattermostInput", {
        "url": values["ORIENTA_MATTERMOST_URL"], "token": values["ORIENTA_MATTERMOST_TOKEN"],
        "hook_token": values["ORIENTA_MATTERMOST_HOOK_TOKEN"], "webhook_url": values["ORIENTA_MATTERMOST_WEBHOOK_URL"],
    }


SOCKETIO_CHANNEL_CLASS = "orienta_rasa.channels.socketio.GuardedSocketIOInput"  # + the message guard


def socketio_channel(env: Mapping[str, str]) -> ChannelEntry:
    """socket.io for the web widget (widget/, served by orienta/demo_site.py); on unless ORIENTA_SOCKETIO=off.

    Rasa's SocketIOInput with an output that keeps messages whole (bot/orienta_rasa/channels/socketio_base.py);
    session persistence lets a conversation survive a page reload. ORIENTA_ALLOWED_ORIGINS (space-separated,
    set by scripts/run.sh, which also passes it to `rasa run --cors`) lists the pages that may connect.
    """
    if (_get(env, "ORIENTA_SOCKETIO", "on") or "").lower() in {"off", "false", "0", "no"}:
        return None
    config: Dict[str, Any] = {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
                              "session_persistence": True}
    if "ORIENTA_ALLOWED_ORIGINS" in env:
        config["allowed_origins"] = env["ORIENTA_ALLOWED_ORIGINS"].split()
    return SOCKETIO_CHANNEL_CLASS, config


# Channel renderers in the order they appear in credentials.yml. A channel module
# adds its own function to this list.
CHANNELS: List[ChannelRenderer] = [rest_channel, action_guard_channel, socketio_channel, telegram_channel,
                                   mattermost_channel]


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

    try:
        print(write_credentials(Path(sys.argv[1])))
    except ValueError as error:  # a channel half configured: say which variable, not a traceback
        sys.exit(f"credentials.yml: {error}")


if __name__ == "__main__":
    main()
