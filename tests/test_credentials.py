"""credentials.yml from the environment: the messaging channels are on only when their variables are set."""
import stat
import subprocess
import sys

import pytest
import yaml

from orienta.credentials import mattermost_channel, render_credentials, telegram_channel, write_credentials

TELEGRAM = "orienta_rasa.channels.telegram.OrientaTelegramInput"
MATTERMOST = "orienta_rasa.channels.mattermost.OrientaMattermostInput"
TELEGRAM_ENV = {"ORIENTA_TELEGRAM_TOKEN": "123456:abc", "ORIENTA_VAR_DIR": "/srv/orienta/var",
                "ORIENTA_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook"}
MATTERMOST_ENV = {"ORIENTA_MATTERMOST_URL": "https://chat.example.org", "ORIENTA_MATTERMOST_TOKEN": "bot-token",
                  "ORIENTA_MATTERMOST_HOOK_TOKEN": "hook-token",
                  "ORIENTA_MATTERMOST_WEBHOOK_URL": "https://bot.example.org/webhooks/mattermost/webhook"}


def test_no_messaging_channel_without_its_variables():
    assert telegram_channel({}) is None and mattermost_channel({}) is None
    content = render_credentials({})
    assert TELEGRAM not in content and MATTERMOST not in content
    assert "orienta_rasa.channels.rest.GuardedRestInput" in content


def test_telegram_defaults_to_the_public_bot_api_and_a_button_store_in_the_var_dir():
    assert telegram_channel(TELEGRAM_ENV) == (TELEGRAM, {
        "access_token": "123456:abc", "webhook_url": "https://bot.example.org/webhooks/telegram/webhook",
        "api_url": "https://api.telegram.org", "button_store": "/srv/orienta/var/telegram_buttons.db"})


def test_telegram_api_url_and_secret_from_the_environment():
    name, config = telegram_channel({**TELEGRAM_ENV, "ORIENTA_TELEGRAM_API_URL": "http://127.0.0.1:8081",
                                     "ORIENTA_TELEGRAM_SECRET": "webhook_Secret-1"})
    assert (config["api_url"], config["secret_token"]) == ("http://127.0.0.1:8081", "webhook_Secret-1")


def test_a_secret_telegram_would_refuse_is_an_error():
    with pytest.raises(ValueError, match="ORIENTA_TELEGRAM_SECRET"):
        telegram_channel({**TELEGRAM_ENV, "ORIENTA_TELEGRAM_SECRET": "not allowed!"})


def test_half_configured_channels_name_the_missing_variables():
    with pytest.raises(ValueError, match="ORIENTA_TELEGRAM_WEBHOOK_URL"):
        telegram_channel({"ORIENTA_TELEGRAM_TOKEN": "123456:abc"})
    with pytest.raises(ValueError, match="ORIENTA_MATTERMOST_HOOK_TOKEN, ORIENTA_MATTERMOST_WEBHOOK_URL"):
        mattermost_channel({"ORIENTA_MATTERMOST_URL": "https://chat.example.org", "ORIENTA_MATTERMOST_TOKEN": "t"})


def test_mattermost_entry():
    assert mattermost_channel(MATTERMOST_ENV) == (MATTERMOST, {
        "url": "https://chat.example.org", "token": "bot-token", "hook_token": "hook-token",
        "webhook_url": "https://bot.example.org/webhooks/mattermost/webhook"})


def test_written_file_is_owner_only_and_holds_both_channels(tmp_path):
    path = write_credentials(tmp_path / "credentials.yml", {**TELEGRAM_ENV, **MATTERMOST_ENV})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = yaml.safe_load(path.read_text())
    assert content[TELEGRAM]["access_token"] == "123456:abc" and content[MATTERMOST]["token"] == "bot-token"


def test_the_command_reports_a_half_configured_channel_without_a_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "ORIENTA_TELEGRAM_TOKEN": "123456:abc"}
    done = subprocess.run([sys.executable, "-m", "orienta.credentials", str(tmp_path / "c.yml")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "ORIENTA_TELEGRAM_WEBHOOK_URL" in done.stderr and "Traceback" not in done.stderr


def test_the_documented_example_shows_what_gets_rendered():
    from pathlib import Path

    example = yaml.safe_load((Path(__file__).resolve().parents[1] / "bot" / "credentials.example.yml").read_text())
    rendered = render_credentials({**TELEGRAM_ENV, **MATTERMOST_ENV, "ORIENTA_TELEGRAM_SECRET": "s"})
    for channel in (TELEGRAM, MATTERMOST):
        assert set(example[channel]) == set(rendered[channel])
