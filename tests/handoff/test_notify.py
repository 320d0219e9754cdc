import pytest

from orienta.handoff.notify import retry_delay, webhook_payload

REQUEST = {
    "id": "H-ABC234", "sender_id": "web-42", "language": "pl", "contact_method": "email",
    "contact": "ola@example.pl",
    "summary": {"language": "pl", "topics": ["recognition"], "tasks": ["find_course"], "searches": ["<b>excel</b>"],
                "offers": [{"id": "ofr-1", "title": "Excel & dane"}],
                "plan": {"items": [{"title": "Excel", "ects": 3.0}], "goal": "analityk"}},
}


def test_slack_payload_lists_every_fact_escaped():
    text = webhook_payload(REQUEST, "slack", "en")["text"]
    assert text.startswith("*New request to talk to a counsellor (H-ABC234)*")
    for fact in ("Polish", "by e-mail: ola@example.pl", "Recognition", "&lt;b&gt;excel&lt;/b&gt;",
                 "Excel &amp; dane (ofr-1)", "Excel (3 ECTS) · goal: analityk", "orienta handoff resolve H-ABC234"):
        assert fact in text, fact
    assert "<b>" not in text


def test_mattermost_payload_uses_markdown_bold_and_a_username():
    payload = webhook_payload(REQUEST, "mattermost", "en")
    assert payload["username"] == "Orienta" and payload["text"].startswith("**New request")


def test_teams_payload_is_an_adaptive_card_with_facts():
    card = webhook_payload(REQUEST, "teams", "en")["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    facts = {f["title"]: f["value"] for f in card["content"]["body"][1]["facts"]}
    assert facts["Contact"] == "by e-mail: ola@example.pl" and facts["Language"] == "Polish"


@pytest.mark.parametrize("language, label", [("ro", "Limba"), ("pl", "Język"), ("sl", "Jezik"), ("lt", "Kalba")])
def test_counsellors_read_the_notification_in_their_language(language, label):
    facts = webhook_payload(REQUEST, "teams", language)["attachments"][0]["content"]["body"][1]["facts"]
    assert facts[0]["title"] == label


def test_a_request_asked_in_the_chat_names_the_conversation():
    text = webhook_payload({**REQUEST, "contact_method": "chat", "contact": None}, "slack", "en")["text"]
    assert "in the chat (conversation web-42)" in text


def test_retries_back_off_exponentially_up_to_the_cap():
    delays = [retry_delay(n, 5, 60).total_seconds() for n in range(1, 7)]
    assert delays == [5, 10, 20, 40, 60, 60]
