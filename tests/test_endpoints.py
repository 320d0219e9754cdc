"""Settings and the endpoints.yml rendered for the Rasa server."""
import stat

import pytest
import yaml

from orienta.endpoints import render_endpoints, tracker_store_config, write_endpoints
from orienta.settings import Settings


def test_defaults_use_sqlite_in_var_and_loopback_actions(tmp_path):
    settings = Settings.from_env({"ORIENTA_VAR_DIR": str(tmp_path)})
    content = render_endpoints(settings)
    assert content["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert content["nlg"] == {"type": "orienta_rasa.nlg.GettextNLG"}
    assert content["tracker_store"] == {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")}


def test_settings_from_environment():
    settings = Settings.from_env(
        {"ORIENTA_RASA_PORT": "6005", "ORIENTA_ACTIONS_PORT": "6055", "ORIENTA_ACTIONS_HOST": "10.0.0.5"}
    )
    assert settings.rasa_port == 6005
    assert render_endpoints(settings)["action_endpoint"]["url"] == "http://10.0.0.5:6055/webhook"


def test_postgresql_url_is_split_for_rasa():
    config = tracker_store_config("postgresql://orienta:s3cret@db.internal:5433/conversations?sslmode=require")
    assert config == {
        "type": "SQL",
        "dialect": "postgresql",
        "db": "conversations",
        "url": "db.internal",
        "port": 5433,
        "username": "orienta",
        "password": "s3cret",
        "query": {"sslmode": "require"},
    }


def test_sqlite_url_without_path_is_rejected():
    with pytest.raises(ValueError, match="file path"):
        tracker_store_config("sqlite://")


def test_written_file_is_private_and_valid(tmp_path):
    settings = Settings.from_env({"ORIENTA_VAR_DIR": str(tmp_path / "var")})
    path = write_endpoints(settings, tmp_path / "var" / "endpoints.yml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text())["tracker_store"]["dialect"] == "sqlite"
    assert (tmp_path / "var").is_dir()
