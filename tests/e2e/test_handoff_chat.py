"""Handoff to a person over REST against the running stack, with a local counsellors' webhook receiver.

The receiver is down when the learner asks, so the first notifications fail;
once it is up, the worker delivers the request, exactly once.
"""
import json
import os
import subprocess
import time

import httpx
import pytest

from tests.e2e.conftest import PROJECT_ROOT, TOKEN
from tests.e2e.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e


def orienta(stack, *args):
    env = dict(os.environ, ORIENTA_VAR_DIR=str(stack.var_dir), ORIENTA_API_TOKEN=TOKEN,
               ORIENTA_RASA_URL=stack.rasa_url)
    result = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "orienta"), *args], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def texts(replies):
    return "\n".join(r.get("text") or "" for r in replies)


def tracker_events(stack, sender):
    response = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30)
    response.raise_for_status()
    return response.json()["events"]


def test_a_handoff_reaches_the_counsellors_pauses_the_bot_and_resumes_when_resolved(stack, handoff_webhook_port):
    sender = "e2e-handoff-lt"
    stack.say(sender, "ar darbdavys pripažins mano mikrokredencialą?", language="lt")
    consent = stack.say(sender, "noriu pasikalbėti su žmogumi")
    assert "Ar sutinkate?" in texts(consent)
    assert [b["payload"] for b in consent[-1]["buttons"]] == ["/affirm", "/deny"]
    contact = stack.say(sender, "/affirm")
    assert "Kaip konsultantas galėtų su jumis susisiekti?" in texts(contact)
    created = texts(stack.say(sender, "mano el. paštas ona@example.lt"))
    assert "ona@example.lt" in created and "Jūsų prašymo numeris" in created
    reference = created.split("numeris – ")[1][:8]

    shown = json.loads(orienta(stack, "handoff", "show", reference, "--json"))
    assert shown["sender_id"] == sender and shown["language"] == "lt" and shown["contact"] == "ona@example.lt"
    assert "recognition" in shown["summary"]["topics"]
    assert shown["notifications"][0]["delivered_at"] is None  # nobody is listening yet

    waiting = texts(stack.say(sender, "Ieškau kurso apie duomenų analizę"))
    assert reference in waiting and "išsaugojau" in waiting  # paused: no search, the message is kept
    assert any(e.get("text") == "Ieškau kurso apie duomenų analizę" for e in tracker_events(stack, sender))

    receiver = Receiver(handoff_webhook_port)
    try:
        deadline = time.monotonic() + 30
        while not receiver.posts and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(receiver.posts) == 1, "the worker did not deliver the notification once the receiver was up"
        path, payload = receiver.posts[0]
        assert path == "/hooks/counsellors"
        for fact in (reference, "Lithuanian", "ona@example.lt", "Recognition"):
            assert fact in payload["text"], fact
        assert json.loads(orienta(stack, "handoff", "show", reference, "--json"))["notifications"][0]["delivered_at"]
    finally:
        receiver.shutdown()

    assert "told that the bot is back" in orienta(stack, "handoff", "resolve", reference, "--by", "e2e")
    bot_texts = [e.get("text") or "" for e in tracker_events(stack, sender) if e["event"] == "bot"]
    assert "Konsultantas užbaigė jūsų prašymą" in bot_texts[-1]
    answer = texts(stack.say(sender, "Kas yra mikrokredencialas?"))
    assert reference not in answer and "Šaltinis" in answer  # the bot answers again, with its citation
    assert reference not in orienta(stack, "handoff", "list")  # resolved requests leave the open list


def test_declining_shares_nothing_and_the_bot_goes_on(stack):
    sender = "e2e-handoff-ro"
    stack.say(sender, "vreau să vorbesc cu un om", language="ro")
    declined = texts(stack.say(sender, "/deny"))
    assert "nu am transmis nimic" in declined
    assert sender not in orienta(stack, "handoff", "list", "--status", "all")
    assert "Sursa" in texts(stack.say(sender, "Ce este o microcredențială?"))


def test_a_learners_conversation_and_handoff_are_exported_and_forgotten(stack):
    sender = "e2e-privacy-pl"
    stack.say(sender, "chciałbym porozmawiać z doradcą zawodowym", language="pl")
    stack.say(sender, "/affirm")
    stack.say(sender, "proszę pisać na ola@example.pl")
    exported = json.loads(orienta(stack, "privacy", "export", sender))
    assert any(e.get("text") == "proszę pisać na ola@example.pl" for e in exported["events"])
    assert exported["handoff_requests"][0]["contact"] == "ola@example.pl"

    assert "handoff requests of e2e-privacy-pl" in orienta(stack, "privacy", "forget", sender)
    assert json.loads(orienta(stack, "privacy", "export", sender)) == {
        "sender_id": sender, "events": [], "handoff_requests": []}
    assert not [e for e in tracker_events(stack, sender) if e["event"] == "user"]
