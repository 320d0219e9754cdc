"""The guarded REST channel over real HTTP: Sanic on loopback, the conversation replaced by a recording callback.

Each bad input kind gets its localized reply in every language and never
reaches the conversation; a valid message arrives normalised. Hypothesis
fuzzes the request handling and the language detector the guard uses.
"""
import asyncio
import ipaddress
import json
import socket
import threading
from datetime import timedelta

import pytest
import requests
import socketio
from babel.dates import format_timedelta
from babel.numbers import format_decimal
from hypothesis import HealthCheck, given, settings, strategies as st

from orienta.catalogs import fill, translations_for
from orienta.languages import default_language, supported_languages
from orienta.rate_limit import Rate, RateLimiter
from orienta_rasa.channels.guard import (
    EMPTY, RATE_LIMITED, TOO_LONG, GuardedInputMixin, LinguaDetector, MessageGuard, limited_client, reply_language,
)
from orienta_rasa.channels.rest import (
    ERRORS, FAILED, GuardedRestInput, client_address, header_language, max_request_bytes, trusted_proxies,
)
from orienta_rasa.channels.socketio import GuardedSocketIOInput
from orienta_rasa.language_id import LanguageIdentifier
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, Sanic

LANGUAGES = supported_languages()
LIMIT = 50
DETECTOR = LinguaDetector()
FUZZ = settings(max_examples=50, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def text(language, message_id, **values):
    return fill(translations_for(language).gettext(message_id), values)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Conversation:
    """Stands in for Rasa's agent: records what reaches it and answers on the message's output channel."""

    def __init__(self):
        self.received = []
        self.fail = False

    async def __call__(self, message: UserMessage):
        self.received.append(message)
        if self.fail or message.text == "crash":
            raise RuntimeError("the conversation failed")
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A channel's blueprint served by Sanic on loopback from a background thread."""

    def __init__(self, channel):
        self.channel = channel
        self.conversation = Conversation()
        self.port = free_port()
        self.app = Sanic(f"guard_channels_{self.port}")
        self.app.blueprint(channel.blueprint(self.conversation), url_prefix="/webhooks/rest")
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(self._start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"

    async def _start(self):
        server = await self.app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True)
        await server.startup()
        return server

    def post(self, body=None, *, raw=None, headers=None, params=None):
        data = raw if raw is not None else json.dumps(body).encode()
        return requests.post(self.url, data=data, headers=headers or {}, params=params, timeout=30)

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def channel_with(guard, env=None):
    channel = GuardedRestInput(env or {})
    channel.message_guard = guard
    return channel


@pytest.fixture(scope="module")
def clock():
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock):
    guard = MessageGuard(LIMIT, RateLimiter(Rate(3, 60), None, clock), DETECTOR)
    running = Server(channel_with(guard))
    yield running
    running.stop()


@pytest.fixture
def conversation(server):
    server.conversation.received.clear()
    server.conversation.fail = False
    return server.conversation


_senders = iter(range(10**9))


def fresh_sender():
    return f"learner-{next(_senders)}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("message", ["", "   ", "\t\n \u200b\ufeff", "\x00\x01\x7f", "\ud800"])
def test_empty_messages_get_the_localized_prompt(server, conversation, language, message):
    answer = server.post({"sender": fresh_sender(), "message": message, "metadata": {"language": language}})
    assert answer.status_code == 200
    assert [m["text"] for m in answer.json()] == [text(language, EMPTY)]
    assert conversation.received == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_too_long_messages_get_the_limit_in_the_language(server, conversation, language):
    sender = fresh_sender()
    answer = server.post({"sender": sender, "message": "ab " * 700, "metadata": {"language": language}})
    expected = text(language, TOO_LONG, length=format_decimal(2099, locale=language),
                    limit=format_decimal(LIMIT, locale=language))
    assert answer.status_code == 200
    assert answer.json() == [{"recipient_id": sender, "text": expected}]
    assert "2099" in expected.replace(",", "").replace(".", "").replace("\xa0", "").replace(" ", "")
    assert conversation.received == []


def test_too_long_reply_follows_the_detected_language_without_metadata(server, conversation):
    polish = "Dzień dobry, szukam kursu programowania w Krakowie, najlepiej wieczorami i za darmo. " * 3
    answer = server.post({"sender": fresh_sender(), "message": polish})
    assert answer.json()[0]["text"].startswith(text("pl", TOO_LONG).split("(")[0].strip())
    assert conversation.received == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_rate_limited_sender_is_told_to_wait(server, conversation, clock, language):
    sender = fresh_sender()
    body = {"sender": sender, "message": "hello", "metadata": {"language": language}}
    assert [server.post(body).json()[0]["text"] for _ in range(3)] == ["echo: hello"] * 3
    refused = server.post(body)
    wait = format_timedelta(timedelta(seconds=20), threshold=1, format="long", locale=language)
    assert refused.status_code == 200
    assert [m["text"] for m in refused.json()] == [text(language, RATE_LIMITED, wait=wait)]
    assert len(conversation.received) == 3
    clock.now += 20  # one token back
    assert server.post(body).json()[0]["text"] == "echo: hello"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("raw, code, status", [
    (b"this is not json", "not_json", 400),
    (b'{"sender": "a", "message": "hi"', "not_json", 400),
    (b"", "not_json", 400),
    (b'{"sender": "a", "message": "caf\xe9"}', "not_utf8", 400),
    (b"\xff\xfe\x00\x00binary\x00", "not_utf8", 400),
    (b'["sender", "message"]', "not_an_object", 400),
    (b'"just a string"', "not_an_object", 400),
    (b"[" * 100_000, "too_large", 413),
    (b"[" * 30_000 + b"]" * 30_000, "not_json", 400),  # deeper than the JSON parser's recursion limit
])
def test_malformed_bodies_get_a_localized_json_error(server, conversation, language, raw, code, status):
    answer = server.post(raw=raw, headers={"Accept-Language": f"{language}-XX,en;q=0.1",
                                           "Content-Type": "application/json"})
    assert answer.status_code == status
    assert answer.json() == {"error": code, "message": text(language, ERRORS[code], limit="128")}
    assert conversation.received == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("body, code", [
    ({"message": "hi"}, "sender"),
    ({"sender": "", "message": "hi"}, "sender"),
    ({"sender": "   ", "message": "hi"}, "sender"),
    ({"sender": ["a"], "message": "hi"}, "sender"),
    ({"sender": "a\x00b", "message": "hi"}, "sender"),
    ({"sender": "x" * 129, "message": "hi"}, "sender"),
    ({"sender": "a"}, "message"),
    ({"sender": "a", "message": None}, "message"),
    ({"sender": "a", "message": 42}, "message"),
    ({"sender": "a", "message": {"text": "hi"}}, "message"),
    ({"sender": "a", "message": ["hi"]}, "message"),
    ({"sender": "a", "message": "hi", "metadata": "pl"}, "metadata"),
    ({"sender": "a", "message": "hi", "metadata": [1, 2]}, "metadata"),
])
def test_missing_or_wrong_fields_get_a_localized_json_error(server, conversation, language, body, code):
    if isinstance(body.get("metadata"), dict) or "metadata" not in body:
        body = {**body, "metadata": {"language": language}}
        headers = {}
    else:
        headers = {"Accept-Language": language}
    answer = server.post(body, headers=headers)
    assert answer.status_code == 400
    assert answer.json() == {"error": code, "message": text(language, ERRORS[code], limit="128")}
    assert conversation.received == []


def test_errors_without_any_language_hint_use_the_default_language(server):
    answer = server.post(raw=b"nope")
    assert answer.json()["message"] == text(default_language(), ERRORS["not_json"])


def test_all_guard_messages_are_translated_and_distinct():
    for message_id in [EMPTY, TOO_LONG, RATE_LIMITED, FAILED, *ERRORS.values()]:
        texts = {language: translations_for(language).gettext(message_id) for language in LANGUAGES}
        assert message_id not in texts.values()
        assert len(set(texts.values())) == len(LANGUAGES), message_id


def test_valid_message_reaches_the_conversation_normalised(server, conversation):
    sender = fresh_sender()
    body = {"sender": sender, "message": "  Ce\u0301 este\x00  o\tmicrocredențială?\u200b \r\n\r\n\r\nMulțumesc ",
            "metadata": {"language": "ro", "page\ud800": "x\udfff"}, "input_channel": "widget"}
    answer = server.post(body)
    assert answer.status_code == 200
    [message] = conversation.received
    assert message.text == "C\u00e9 este o microcredențială?\n\nMulțumesc"
    assert [m["text"] for m in answer.json()] == ["echo: C\u00e9 este o microcredențială?", "Mulțumesc"]
    assert (message.sender_id, message.input_channel) == (sender, "widget")
    assert message.metadata == {"language": "ro", "page": "x"}


@pytest.mark.parametrize("message", [
    "<script>alert(1)</script>", "'; DROP TABLE events; --", "{{7*7}}", "%s%n%x", "\u202eevil\u202c",
    "\U0001F469\u200d\U0001F469\u200d\U0001F467 \U0001F1F5\U0001F1F1", "مرحبا، ما هي الشهادة المصغرة؟", "שלום",
    "Mikä on mikrotutkinto?", "Mi az a mikrotanúsítvány?", "Что такое микроквалификация?", "微证书是什么？",
])
def test_odd_but_valid_messages_pass_through_unchanged(server, conversation, message):
    answer = server.post({"sender": fresh_sender(), "message": message})
    assert answer.json()[0]["text"] == f"echo: {message}"
    assert [m.text for m in conversation.received] == [message]


def test_numeric_sender_is_accepted_as_text(server, conversation):
    assert server.post({"sender": 12345, "message": "hi"}).status_code == 200
    assert conversation.received[0].sender_id == "12345"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failing_conversation_gets_an_apology_not_a_500(server, conversation, language):
    answer = server.post({"sender": fresh_sender(), "message": "crash", "metadata": {"language": language}})
    assert answer.status_code == 200
    assert [m["text"] for m in answer.json()] == [text(language, FAILED)]


def test_streaming_replies_are_guarded_too(server, conversation):
    sender = fresh_sender()
    ok = server.post({"sender": sender, "message": " hi "}, params={"stream": "true"})
    assert [json.loads(line)["text"] for line in ok.text.splitlines()] == ["echo: hi"]
    empty = server.post({"sender": sender, "message": " ", "metadata": {"language": "lt"}}, params={"stream": "true"})
    assert [json.loads(line)["text"] for line in empty.text.splitlines()] == [text("lt", EMPTY)]


def test_health_route_and_channel_name(server):
    assert requests.get(server.url[: -len("webhook")], timeout=10).json() == {"status": "ok"}
    assert GuardedRestInput.name() == "rest"
    assert isinstance(GuardedRestInput.from_credentials(None), GuardedRestInput)


# -- the per-client limit and proxies -------------------------------------------------

@pytest.mark.parametrize("trusted, expect_separate", [("127.0.0.1", True), ("", False)])
def test_client_limit_uses_forwarded_for_only_behind_trusted_proxies(server, trusted, expect_separate):
    # One Sanic app per process (Sanic 21.12): this test swaps the channel's guard and proxies for a while.
    channel = server.channel
    saved = channel.message_guard, channel.trusted_proxies
    channel.message_guard = MessageGuard(LIMIT, RateLimiter(None, Rate(1, 60), FakeClock()), None)
    channel.trusted_proxies = trusted_proxies({"ORIENTA_TRUSTED_PROXIES": trusted})
    try:
        def say(forwarded):
            body = {"sender": fresh_sender(), "message": "hi", "metadata": {"language": "sl"}}
            return server.post(body, headers={"X-Forwarded-For": forwarded}).json()[0]["text"]

        if expect_separate:
            assert say("203.0.113.5") == "echo: hi"
            assert say("203.0.113.5") == text("sl", RATE_LIMITED, wait=format_timedelta(
                timedelta(seconds=60), threshold=1, format="long", locale="sl"))  # same client, new sender
            assert say("198.51.100.7") == "echo: hi"
        else:  # the header is ignored; the peer is loopback, which is not client-limited
            assert [say(address) for address in ("203.0.113.5", "203.0.113.5", "198.51.100.7")] == ["echo: hi"] * 3
    finally:
        channel.message_guard, channel.trusted_proxies = saved


def test_loopback_is_not_client_limited():
    assert limited_client("127.0.0.1") is None and limited_client("::1") is None and limited_client(None) is None
    assert limited_client("203.0.113.5") == "203.0.113.5" and limited_client("not-an-ip") == "not-an-ip"


def test_client_address():
    proxies = [ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("10.0.0.0/8")]
    assert client_address("127.0.0.1", "203.0.113.5, 10.1.2.3", proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.5", proxies) == "203.0.113.5"  # spoofed first hop ignored
    assert client_address("127.0.0.1", "garbage, 10.1.2.3", proxies) == "10.1.2.3"
    assert client_address("198.51.100.1", "203.0.113.5", proxies) == "198.51.100.1"  # untrusted peer
    assert client_address("127.0.0.1", None, proxies) == "127.0.0.1"
    assert client_address("::1", "2001:db8::1", [ipaddress.ip_network("::1")]) == "2001:db8::1"


def test_settings():
    assert max_request_bytes({}) == 65536
    assert max_request_bytes({"ORIENTA_MAX_REQUEST_BYTES": "1000"}) == 1000
    assert trusted_proxies({"ORIENTA_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ::1"}) == [
        ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1")]
    for bad in ({"ORIENTA_MAX_REQUEST_BYTES": "0"}, {"ORIENTA_MAX_REQUEST_BYTES": "big"}):
        with pytest.raises(ValueError, match="ORIENTA_MAX_REQUEST_BYTES"):
            max_request_bytes(bad)
    with pytest.raises(ValueError, match="ORIENTA_TRUSTED_PROXIES"):
        trusted_proxies({"ORIENTA_TRUSTED_PROXIES": "proxy.example.org"})
    with pytest.raises(ValueError, match="ORIENTA_MAX_MESSAGE_CHARS"):
        MessageGuard.from_env({"ORIENTA_MAX_MESSAGE_CHARS": "-5"})


def test_header_and_reply_language():
    assert header_language("pl-PL,pl;q=0.9,en;q=0.8") == "pl"
    assert header_language("de, lt;q=0.5, en;q=0.7") == "en"
    assert header_language("sl;q=0, ro;q=0.2") == "ro"
    assert header_language("fr, de") is None and header_language(None) is None
    assert reply_language({"language": "lt-LT"}, "Dzień dobry", lambda _: "pl") == "lt"
    assert reply_language({"language": "fi"}, "Dzień dobry", lambda _: "pl") == "pl"
    assert reply_language(None, "zzz", lambda _: None, "sl") == "sl"
    assert reply_language("not a dict", None, None) == default_language()


# -- the mixin on any channel ------------------------------------------------------------

class PlainChannel(InputChannel):
    """A minimal channel whose blueprint hands one fixed message to the callback."""

    @classmethod
    def name(cls):
        return "plain"

    def blueprint(self, on_new_message):
        self.handed = on_new_message
        return Blueprint("plain_test")


class GuardedPlainChannel(GuardedInputMixin, PlainChannel):
    pass


def test_mixin_guards_any_input_channel():
    channel = GuardedPlainChannel()
    channel.message_guard = MessageGuard(10, RateLimiter(None, None), None)
    conversation = Conversation()
    channel.blueprint(conversation)
    output = CollectingOutputChannel()

    async def run():
        await channel.handed(UserMessage("   ", output, "s1", metadata={"language": "pl"}))
        await channel.handed(UserMessage("a  b", output, "s1"))

    asyncio.run(run())
    assert [m["text"] for m in output.messages] == [text("pl", EMPTY), "echo: a b"]
    assert [m.text for m in conversation.received] == ["a b"]


def test_mixin_reads_its_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("ORIENTA_MAX_MESSAGE_CHARS", "7")
    monkeypatch.setenv("ORIENTA_RATE_LIMIT_SENDER", "0")
    monkeypatch.setenv("ORIENTA_RATE_LIMIT_CLIENT", "0")
    guard = GuardedPlainChannel().message_guard
    assert guard.max_chars == 7 and not guard.limiter.enabled


# -- socket.io -----------------------------------------------------------------------------

def test_socketio_messages_pass_the_guard():
    conversation = Conversation()
    clock = FakeClock()
    channel = GuardedSocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True})
    channel.message_guard = MessageGuard(LIMIT, RateLimiter(Rate(3, 60), Rate(1, 60), clock), None)

    async def scenario():
        port = free_port()
        app = Sanic(f"guard_socketio_{port}")
        app.blueprint(channel.blueprint(conversation))
        channel.sio.eio.ping_interval = channel.sio.eio.ping_timeout = 1
        running = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await running.startup()
        client = socketio.AsyncClient()
        events = asyncio.Queue()
        client.on("bot_uttered", lambda data: events.put_nowait(data))
        client.on("session_confirm", lambda data: events.put_nowait({"session": data}))
        replies = []
        try:
            await client.connect(f"http://127.0.0.1:{port}", headers={"Accept-Language": "pl-PL,pl;q=0.9"},
                                 transports=["polling"])
            await client.emit("session_request", {"session_id": "s1"})
            assert await asyncio.wait_for(events.get(), 10) == {"session": "s1"}
            for data in ({"message": " \u200b "}, {"message": "x" * 60, "metadata": {"language": "lt"}},
                         {"message": "  hi\x00 there "}, {"message": "again"}):
                await client.emit("user_uttered", {"session_id": "s1", **data})
                replies.append((await asyncio.wait_for(events.get(), 10))["text"])
        finally:
            await client.disconnect()
            running.close()
            await running.wait_closed()
        return replies

    replies = asyncio.run(scenario())
    wait = format_timedelta(timedelta(seconds=20), threshold=1, format="long", locale="pl")
    assert replies == [
        text("pl", EMPTY),  # the browser's language
        text("lt", TOO_LONG, length="60", limit=format_decimal(LIMIT, locale="lt")),  # the page's language
        "echo: hi there",
        text("pl", RATE_LIMITED, wait=wait),  # the session had 3 tokens for 60 s (loopback: no client limit)
    ]
    assert [m.text for m in conversation.received] == ["hi there"]
    assert GuardedSocketIOInput.name() == "socketio"


# -- fuzzing -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.builds(
        lambda sender, message, metadata, extra: json.dumps(
            {"sender": sender, "message": message, "metadata": metadata, **extra}).encode(),
        st.one_of(st.text(max_size=20), json_values),
        st.one_of(st.text(max_size=80), json_values),
        st.one_of(st.none(), st.dictionaries(st.sampled_from(["language", "page"]), json_values, max_size=2),
                  json_values),
        st.dictionaries(st.sampled_from(["input_channel", "stream"]), json_values, max_size=2),
    ),
)


@FUZZ
@given(body=bodies)
def test_fuzzed_requests_never_get_a_5xx(server, body):
    server.conversation.fail = False
    answer = server.post(raw=body, headers={"Content-Type": "application/json"})
    assert answer.status_code in (200, 400, 413), answer.text
    payload = answer.json()
    if answer.status_code == 200:
        assert isinstance(payload, list) and payload and all(m.get("text") for m in payload)
    else:
        assert set(payload) == {"error", "message"} and payload["error"] in ERRORS and payload["message"]


@pytest.fixture(scope="module")
def trained_identifier():
    texts = ["hello how are you", "what is a micro-credential", "bună ziua ce mai faci", "ce este o microcredențială",
             "dzień dobry co słychać", "czym jest mikropoświadczenie", "dober dan kako ste", "kaj je mikrokredencial",
             "labas kaip sekasi", "kas yra mikrokredencialas"]
    return LanguageIdentifier(LANGUAGES).fit(texts, ["en", "en", "ro", "ro", "pl", "pl", "sl", "sl", "lt", "lt"])


@FUZZ
@given(value=st.text(max_size=400))
def test_language_detection_never_raises(trained_identifier, value):
    guess = trained_identifier.identify(value)
    assert guess.language in (*LANGUAGES, "und")
    assert 0.0 <= guess.confidence <= 1.0
    assert DETECTOR(value) in (*LANGUAGES, None)
