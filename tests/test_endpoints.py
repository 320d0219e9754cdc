"""Settings and the endpoints.yml rendered for the Rasa server."""
import stat

import pytest
import yaml

from orienta.endpoints import lock_store_config, render_endpoints, tracker_store_config, write_endpoints
from orienta.settings import Settings

ATOMIC = "orienta_rasa.lock_store.AtomicRedisLockStore"  # Rasa's RedisLockStore with atomic tickets


def test_defaults_use_sqlite_in_var_and_loopback_actions(tmp_path):
    settings = Settings.from_env({"ORIENTA_VAR_DIR": str(tmp_path)})
    content = render_endpoints(settings)
    assert content["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert content["nlg"] == {"type": "orienta_rasa.nlg.GettextNLG"}
    assert content["tracker_store"] == {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    assert "lock_store" not in content  # Rasa's in-memory lock store: right for one Rasa process


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


def test_actions_url_overrides_host_and_port():
    settings = Settings.from_env({"ORIENTA_ACTIONS_URL": "http://127.0.0.1:8055/webhook",
                                  "ORIENTA_ACTIONS_PORT": "6055"})
    assert render_endpoints(settings)["action_endpoint"] == {"url": "http://127.0.0.1:8055/webhook"}
    assert settings.actions_port == 6055  # still where the local action server listens


def test_lock_store_url_is_rendered_for_our_atomic_redis_lock_store():
    settings = Settings.from_env({"ORIENTA_LOCK_STORE_URL": "redis://:p%40ss@cache.internal:6380/2"})
    assert render_endpoints(settings)["lock_store"] == {
        "type": ATOMIC, "url": "cache.internal", "port": 6380, "db": 2, "key_prefix": "orienta", "password": "p@ss",
    }


def test_lock_store_defaults_user_tls_and_key_prefix():
    assert lock_store_config("redis://127.0.0.1") == {
        "type": ATOMIC, "url": "127.0.0.1", "port": 6379, "db": 0, "key_prefix": "orienta"}
    assert lock_store_config("rediss://bot:pw@r.example:6390/1?key_prefix=staging") == {
        "type": ATOMIC, "url": "r.example", "port": 6390, "db": 1, "key_prefix": "staging",
        "username": "bot", "password": "pw", "use_ssl": True}


@pytest.mark.parametrize("url, problem", [
    ("http://127.0.0.1:6379", "Redis URL"),
    ("redis://", "Redis URL"),
    ("redis://host:6379/cache", "must be a number"),
    ("redis://host/0?key_prefix=a-b", "letters and digits"),
])
def test_bad_lock_store_urls_are_rejected_clearly(url, problem):
    with pytest.raises(ValueError, match=problem):
        lock_store_config(url)


def test_the_rendered_lock_store_builds_rasas_redis_lock_store():
    """The keys are the ones Rasa 3.6's RedisLockStore takes (checked against its signature)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]
    source = next((root / ".venv-rasa" / "lib").glob("python3*/site-packages/rasa/core/lock_store.py"), None)
    if source is None:
        pytest.skip("the Rasa environment is not installed")
    signature = re.search(r"class RedisLockStore.*?def __init__\((.*?)\) -> None", source.read_text(), re.S)
    accepted = set(re.findall(r"^\s*(\w+):", signature.group(1), re.M)) | {"url", "type"}
    config = lock_store_config("rediss://bot:pw@r.example:6390/1?key_prefix=staging")
    assert "host" in accepted and set(config) <= accepted, set(config) - accepted
