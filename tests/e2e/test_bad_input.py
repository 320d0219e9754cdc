"""End to end: bad input, limits and the public/protected split of the running stack (scripts/run.sh).

Every nasty input of tests/fuzz/nasty_inputs.yaml, raw bodies that are not
UTF-8 or not JSON, a flood from one sender, the HTTP API without its token,
CORS for allowed and other origins, and the logs, which must not hold what
learners wrote. The per-client limit and X-Forwarded-For are tested at the
plugin level (tests/rasa_plugins/test_guard_channels.py): the stack's tests all
come from loopback, which is not client-limited.
"""
import json
import time
import uuid

import httpx
import pytest
from babel.support import Translations

from orienta.catalogs import fill
from orienta.languages import locales_dir
from tests.e2e.conftest import TOKEN
from tests.fuzz.corpus import nasty_inputs

pytestmark = pytest.mark.e2e

NASTY = nasty_inputs()
QUESTION = "so what is a micro credential actually?"
GUARD_IDS = ("guard.empty", "guard.too_long", "guard.rate_limited", "guard.failed")


def catalog(language):
    return Translations.load(str(locales_dir()), [language], "orienta")


def post(stack, body=None, *, content=None, headers=None):
    """POST to the REST webhook; `body` is sent as ASCII JSON (lone surrogates as \\ud800 escapes)."""
    data = content if content is not None else json.dumps(body).encode("ascii")
    return httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", content=data, timeout=60,
                      headers={"Content-Type": "application/json", **(headers or {})})


def guard_prefixes(language):
    """The fixed start of each guard reply (before its first placeholder)."""
    return [catalog(language).gettext(i).split("{")[0] for i in GUARD_IDS]


def assert_answers_normally(stack, sender):
    replies = post(stack, {"sender": sender, "message": QUESTION}).json()
    texts = [reply.get("text") or "" for reply in replies]
    assert any(text.startswith(catalog("en").gettext("topic.definition.short")) for text in texts), texts
    assert not any(text.startswith(prefix) for text in texts for prefix in guard_prefixes("en"))


@pytest.mark.parametrize("half", [0, 1])
def test_every_nasty_input_gets_a_reply_and_the_conversation_goes_on(stack, half):
    sender = f"bad-input-{half}-{uuid.uuid4().hex[:8]}"  # under 30 messages: the sender limit stays out of it
    for name, text in NASTY[half::2]:
        answer = post(stack, {"sender": sender, "message": text})
        assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
        replies = answer.json()
        assert replies and all(reply.get("text") or reply.get("custom") or reply.get("buttons")
                               for reply in replies), (name, replies)
    assert_answers_normally(stack, sender)


def test_guard_replies_on_the_stack_are_localized(stack):
    sender = f"guard-{uuid.uuid4().hex[:8]}"
    empty = post(stack, {"sender": sender, "message": " \u200b ", "metadata": {"language": "lt"}}).json()
    assert [reply["text"] for reply in empty] == [catalog("lt").gettext("guard.empty")]
    long = post(stack, {"sender": sender, "message": "x" * 2001, "metadata": {"language": "ro"}}).json()
    assert long[0]["text"].startswith(catalog("ro").gettext("guard.too_long").split("{")[0])
    assert "2.001" in long[0]["text"] and "2.000" in long[0]["text"]  # Babel's Romanian digit grouping


@pytest.mark.parametrize("content, code", [
    (b'{"sender": "raw", "message": "caf\xe9 \xff\xfe"}', "not_utf8"),
    (b"\x00\x01\x02binary\xff", "not_utf8"),
    (b"sender=raw&message=hello", "not_json"),
    (b'{"sender": "raw", "message": ', "not_json"),
    (b'["raw", "hello"]', "not_an_object"),
    (b'{"message": "hello"}', "sender"),
    (b'{"sender": "raw", "message": 42}', "message"),
    (b'{"sender": "raw", "message": "hi", "metadata": "pl"}', "metadata"),
])
def test_malformed_bodies_get_a_localized_400(stack, content, code):
    answer = post(stack, content=content, headers={"Accept-Language": "pl-PL,pl;q=0.9"})
    assert answer.status_code == 400, answer.text[:300]
    body = answer.json()
    assert body["error"] == code
    assert body["message"] == fill(catalog("pl").gettext(f"rest.error.{code}"), {"limit": "128"})
    assert body["message"] != f"rest.error.{code}"


def test_the_stack_still_answers_after_malformed_bodies(stack):
    for content in (b"\xff\xfe", b"not json", b"[]"):
        assert post(stack, content=content).status_code == 400
    assert_answers_normally(stack, f"after-raw-{uuid.uuid4().hex[:8]}")


def test_a_flooding_sender_is_told_to_slow_down(stack):
    """The default per-sender limit (30 messages per 60 s) on the real stack; empty messages keep it cheap."""
    sender = f"flood-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    texts = [post(stack, {"sender": sender, "message": " "}).json()[0]["text"] for _ in range(40)]
    elapsed = time.monotonic() - started
    empty, slow_down = catalog("en").gettext("guard.empty"), catalog("en").gettext("guard.rate_limited").split("{")[0]
    assert texts[0] == empty
    assert any(text.startswith(slow_down) for text in texts)
    assert 30 <= texts.count(empty) <= 30 + int(elapsed * 0.5) + 1
    assert set(texts) <= {empty} | {t for t in texts if t.startswith(slow_down)}
    assert_answers_normally(stack, f"not-the-flooder-{uuid.uuid4().hex[:8]}")  # others are not affected


@pytest.mark.parametrize("method, path", [
    ("GET", "/conversations/someone/tracker"),
    ("POST", "/model/parse"),
    ("GET", "/status"),
    ("GET", "/domain"),
])
def test_http_api_needs_the_token_while_the_webhook_is_public(stack, method, path):
    url = f"{stack.rasa_url}{path}"
    body = {"text": "hello"} if method == "POST" else None
    assert httpx.request(method, url, json=body, timeout=30).status_code in (401, 403)
    assert httpx.request(method, url, json=body, params={"token": "wrong"}, timeout=30).status_code in (401, 403)
    authorised = httpx.request(method, url, json=body, params={"token": TOKEN}, timeout=60,
                               headers={"Accept": "application/json"})
    assert authorised.status_code == 200
    public = post(stack, {"sender": f"public-{uuid.uuid4().hex[:8]}", "message": "hello"})
    assert public.status_code == 200 and public.json()


def test_logs_hold_no_message_text(stack):
    marker = f"zqx{uuid.uuid4().hex}"
    email = f"jan.kowalski.{uuid.uuid4().hex[:10]}@example.org"
    sender = f"logs-{uuid.uuid4().hex[:8]}"
    messages = [f"my email is {email}, find me a course on {marker}", marker, f"{marker} " * 500,
                "<script>" + marker + "</script>"]
    for text in messages:
        assert post(stack, {"sender": sender, "message": text}).status_code == 200
    assert post(stack, content=f'{{"sender": "{sender}", "message": "{marker}'.encode()).status_code == 400
    assert post(stack, content=f'{{"sender": "{sender}", "message": "{marker}\xff"}}'.encode("latin-1")
                ).status_code == 400
    time.sleep(1.0)  # let the servers flush their logs
    logs = sorted((stack.var_dir / "logs").glob("*.log"))
    assert logs, "no log files"
    for path in logs:
        content = path.read_text(encoding="utf-8", errors="replace")
        assert marker not in content, path.name
        assert email not in content, path.name


def test_cors_allows_only_the_configured_origins(stack):
    allowed, other = stack.demo_url, "http://evil.example"
    assert allowed, "the stack names the demo page's origin"
    for method in ("OPTIONS", "POST"):
        headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
        body = json.dumps({"sender": f"cors-{uuid.uuid4().hex[:8]}", "message": "hello"}).encode()
        content = body if method == "POST" else None
        good = httpx.request(method, f"{stack.rasa_url}/webhooks/rest/webhook", content=content, timeout=60,
                             headers={"Origin": allowed, "Content-Type": "application/json", **headers})
        bad = httpx.request(method, f"{stack.rasa_url}/webhooks/rest/webhook", content=content, timeout=60,
                            headers={"Origin": other, "Content-Type": "application/json", **headers})
        assert good.headers.get("access-control-allow-origin") == allowed, (method, dict(good.headers))
        assert bad.headers.get("access-control-allow-origin") not in (other, "*"), (method, dict(bad.headers))
        assert good.status_code < 500 and bad.status_code < 500
