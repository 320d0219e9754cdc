"""Export, forget and retention over a real Rasa-shaped events table and a real handoff store."""
import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from orienta.handoff.store import NewRequest
from orienta.privacy import LearnerData, retention_days

DAY = 86400


@pytest.fixture
def data(tmp_path):
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = sa.create_engine(tracker_url)
    metadata = sa.MetaData()
    events = sa.Table("events", metadata, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("sender_id", sa.String(255), nullable=False), sa.Column("type_name", sa.String(255)),
                      sa.Column("timestamp", sa.Float), sa.Column("intent_name", sa.String(255)),
                      sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text))
    metadata.create_all(engine)
    now = time.time()
    with engine.begin() as connection:
        for sender, age_days, text in [("old", 400, "stara wiadomość"), ("old", 300, "jeszcze"),
                                       ("recent", 10, "ola@example.pl"), ("recent", 1, "dzięki")]:
            connection.execute(events.insert().values(
                sender_id=sender, type_name="user", timestamp=now - age_days * DAY,
                data=json.dumps({"event": "user", "text": text, "timestamp": now - age_days * DAY})))
    learner_data = LearnerData(tracker_url, f"sqlite:///{tmp_path / 'handoff.db'}")
    learner_data.handoffs.create(NewRequest("recent", "pl", "email", "ola@example.pl", {"topics": []}),
                                 timedelta(minutes=30))
    return learner_data, now


def test_export_holds_the_conversation_and_its_handoff_requests(data):
    learner_data, _ = data
    exported = learner_data.export("recent")
    assert [e["text"] for e in exported["events"]] == ["ola@example.pl", "dzięki"]
    assert exported["handoff_requests"][0]["contact"] == "ola@example.pl"
    json.dumps(exported)  # JSON-safe


def test_forget_deletes_one_learner_only(data):
    learner_data, _ = data
    assert learner_data.forget("recent") == {"events": 2, "handoff_requests": 1}
    assert learner_data.export("recent") == {"sender_id": "recent", "events": [], "handoff_requests": []}
    assert len(learner_data.export("old")["events"]) == 2


def test_cleanup_deletes_conversations_whose_last_event_is_older_than_the_retention(data):
    learner_data, now = data
    done = learner_data.cleanup(180, now=now)
    assert (done.conversations, done.events) == (1, 2)
    assert learner_data.export("old")["events"] == [] and len(learner_data.export("recent")["events"]) == 2
    assert learner_data.cleanup(0, now=now).conversations == 0


def test_before_rasa_created_its_table_there_is_nothing_to_export(tmp_path):
    learner_data = LearnerData(f"sqlite:///{tmp_path / 'empty.db'}", f"sqlite:///{tmp_path / 'h.db'}")
    assert learner_data.export("x")["events"] == [] and learner_data.forget("x") == {"events": 0, "handoff_requests": 0}


def test_retention_setting():
    assert retention_days({}) == 180 and retention_days({"ORIENTA_RETENTION_DAYS": "30"}) == 30
    with pytest.raises(ValueError):
        retention_days({"ORIENTA_RETENTION_DAYS": "-1"})
