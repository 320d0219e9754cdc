from datetime import datetime, timedelta, timezone

from orienta.handoff.conversation import HandoffDesk
from orienta.handoff.contact import Contact
from orienta.handoff.store import RESOLVED
from orienta.handoff.worker import end_pause, run_once

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
EVENTS = [{"event": "user", "text": "x", "parse_data": {"intent": {"name": "recognition"}, "entities": []}}]


def open_request(store, settings, client, language="pl", contact=Contact("email", "ola@example.pl"), now=T0):
    desk = HandoffDesk(store, settings, language, client)
    return desk, desk.open_request("web-42", "socketio", contact, EVENTS, {}, ["recognition"], now=now)


def test_a_request_is_stored_notified_and_the_learner_told_what_happens_next(store, settings, client, receiver):
    desk, opened = open_request(store, settings, client)
    row = store.get(opened.reference)
    assert row.sender_id == "web-42" and row.contact == "ola@example.pl" and row.summary["topics"] == ["recognition"]
    assert row.pause_until == T0 + timedelta(minutes=30)
    assert len(receiver.posts) == 1 and opened.reference in receiver.posts[0]["text"]
    assert row.notifications[0].delivered_at is not None
    text = opened.messages[0]["text"]
    assert opened.reference in text and "ola@example.pl" in text and "30 minut" in text


def test_a_notification_that_fails_is_kept_and_retried_until_the_receiver_is_back(store, settings, client, receiver):
    receiver.up = False
    _, opened = open_request(store, settings, client)
    notification = store.get(opened.reference).notifications[0]
    assert notification.delivered_at is None and notification.attempts == 1 and "ConnectError" in notification.last_error
    assert run_once(store, settings, client, T0 + timedelta(seconds=1)).delivered == 0  # not due yet
    report = run_once(store, settings, client, T0 + timedelta(seconds=6))
    assert report.failed == 1 and store.get(opened.reference).notifications[0].attempts == 2
    receiver.up = True
    assert run_once(store, settings, client, T0 + timedelta(seconds=16)).delivered == 1
    assert store.get(opened.reference).notifications[0].delivered_at is not None
    assert len(receiver.posts) == 1
    assert run_once(store, settings, client, T0 + timedelta(minutes=5)).delivered == 0  # never twice


def test_without_a_webhook_requests_are_still_stored(store, settings, client, receiver):
    from dataclasses import replace

    _, opened = open_request(store, replace(settings, webhook_url=None), client)
    assert store.get(opened.reference).notifications == [] and receiver.posts == []


def test_the_pause_ends_when_resolved_or_timed_out_and_the_conversation_is_told_once(store, settings, client,
                                                                                       receiver):
    _, first = open_request(store, settings, client)
    _, second = open_request(store, settings, client, now=T0 + timedelta(minutes=1))
    store.resolve(first.reference, by="ana", note="called back", now=T0 + timedelta(minutes=2))
    assert run_once(store, settings, client, T0 + timedelta(minutes=3)).resumed == 1
    path, params, body = receiver.executed[0]
    assert path == "/conversations/web-42/execute" and params == {"output_channel": "latest", "token": "secret"}
    assert body == {"name": "action_handoff_ended"}
    assert run_once(store, settings, client, T0 + timedelta(minutes=4)).resumed == 0
    assert run_once(store, settings, client, T0 + timedelta(minutes=32)).resumed == 1  # the second timed out
    assert store.get(first.reference).status == RESOLVED and store.get(second.reference).status == "open"


def test_a_pause_ended_by_the_resolve_command_is_not_ended_again_by_the_worker(store, settings, client, receiver):
    _, opened = open_request(store, settings, client)
    request = store.resolve(opened.reference, by="ana", note=None, now=T0 + timedelta(minutes=2))
    assert store.claim_resume(request.id, T0 + timedelta(minutes=2))  # the command is telling the conversation
    assert run_once(store, settings, client, T0 + timedelta(minutes=2, seconds=1)).resumed == 0
    assert receiver.executed == []
    assert not store.claim_resume(request.id)


def test_a_conversation_that_could_not_be_told_is_told_by_the_worker_later(store, settings, client, receiver):
    _, opened = open_request(store, settings, client)
    request = store.resolve(opened.reference, by="ana", note=None, now=T0 + timedelta(minutes=2))
    receiver.rasa_up = False
    told, error = end_pause(store, settings, client, request, T0 + timedelta(minutes=2))
    assert not told and "ConnectError" in error and store.get(request.id).resumed_at is None
    receiver.rasa_up = True
    assert run_once(store, settings, client, T0 + timedelta(minutes=3)).resumed == 1
    assert len(receiver.executed) == 1


def test_while_paused_the_learner_hears_the_status_and_afterwards_that_the_bot_is_back(store, settings, client):
    desk, opened = open_request(store, settings, client, language="en")
    waiting = desk.status(opened.reference, now=T0 + timedelta(minutes=10))
    assert opened.reference in waiting.messages[0]["text"] and "20 minutes" in waiting.messages[0]["text"]
    assert waiting.slots == {}
    timed_out = desk.status(opened.reference, now=T0 + timedelta(minutes=31))
    assert timed_out.slots == {"handoff_id": None}
    assert "No counsellor could join" in timed_out.messages[0]["text"]
    assert "ola@example.pl" in timed_out.messages[0]["text"]
    store.resolve(opened.reference, by=None, note=None)
    assert "has closed your request" in desk.ended(opened.reference).messages[0]["text"]


def test_forget_deletes_a_learners_requests_and_notifications(store, settings, client):
    open_request(store, settings, client)
    assert store.forget("web-42") == 1 and store.list(status=None) == []
