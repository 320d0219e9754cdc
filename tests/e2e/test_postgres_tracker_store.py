"""Conversations persist in PostgreSQL when the tracker store URL points there."""
import pytest
from babel.support import Translations

from orienta.languages import locales_dir
from tests.e2e.conftest import free_port, start_stack
from tests.pg_server import psql, throwaway_postgres

pytestmark = pytest.mark.e2e


def test_conversation_and_language_survive_a_restart_on_postgresql(tmp_path, monkeypatch):
    with throwaway_postgres() as url:
        monkeypatch.setenv("ORIENTA_TRACKER_STORE_URL", url)
        ports = free_port(), free_port()
        stack = start_stack(tmp_path, *ports)
        try:
            stack.say("pg-learner", "dzień dobry, czym jest mikropoświadczenie?")
        finally:
            assert stack.stop() == 0
        stack = start_stack(tmp_path, *ports)
        try:
            replies = stack.say("pg-learner", "/greet")
        finally:
            assert stack.stop() == 0
        stored = psql(url, "select count(*) from events where sender_id = 'pg-learner' and type_name = 'user'")
    assert int(stored) == 2
    assert not (tmp_path / "tracker.db").exists()
    polish = Translations.load(str(locales_dir()), ["pl"], "orienta")
    assert replies[0]["text"] == polish.gettext("greet")
