"""The socket.io channel over a real Sanic server and a real socket.io client (loopback)."""
import asyncio
import socket

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from orienta_rasa.channels.socketio_base import OrientaSocketIOInput, origin_allowed, text_message, user_metadata

CARDS = {"type": "offer_cards", "cards": [{"type": "offer", "id": "o1", "title": "Data analysis", "url": "https://x.eu"}]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_text_message_keeps_text_whole_and_metadata():
    message = text_message("Answer.\n\nSource: Council Recommendation", [{"title": "Yes", "payload": "/affirm"}],
                           {"metadata": {"citation": "Council Recommendation"}, "utter_action": "utter_x"})
    assert message == {
        "text": "Answer.\n\nSource: Council Recommendation",
        "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}],
        "metadata": {"citation": "Council Recommendation"},
    }
    assert text_message("Hi", None, {"metadata": None}) == {"text": "Hi"}


@pytest.mark.parametrize("data, expected", [
    ({"metadata": {"language": "pl"}}, {"language": "pl"}),
    ({"metadata": '{"language": "lt"}'}, {"language": "lt"}),
    ({"metadata": "not json"}, {}),
    ({"metadata": [1, 2]}, {}),
    ("a string", {}),
])
def test_user_metadata(data, expected):
    assert user_metadata(data, "metadata") == expected


def test_round_trip_with_session_persistence_and_origin_check():
    """One server for every socket.io check: Sanic 21.12 cannot start a second app in the same process."""
    received = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_response(message.sender_id, {
            "text": "Found 1.\n\nSource: ESCO", "buttons": [{"title": "Details", "payload": "/explain_offer"}],
            "custom": CARDS, "metadata": {"citation": "ESCO"},
        })

    async def connects(port: int, origin: str) -> bool:
        client = socketio.AsyncClient()
        try:
            await client.connect(f"http://127.0.0.1:{port}", headers={"Origin": origin}, transports=["polling"],
                                 wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True

    async def scenario():
        port = free_port()
        channel = OrientaSocketIOInput.from_credentials(
            {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True,
             "allowed_origins": ["http://localhost:8080"]})
        app = Sanic(f"socketio_test_{port}")
        app.blueprint(channel.blueprint(on_new_message))
        channel.sio.eio.ping_interval = channel.sio.eio.ping_timeout = 1  # long polls end quickly on disconnect
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        client = socketio.AsyncClient()
        events = asyncio.Queue()
        client.on("bot_uttered", lambda data: events.put_nowait(data))
        client.on("session_confirm", lambda data: events.put_nowait({"session": data}))
        try:
            # the websocket transport needs a newer aiohttp client than Rasa's; the browser test covers it
            await client.connect(f"http://127.0.0.1:{port}", headers={"Origin": "http://localhost:8080"},
                                 transports=["polling"])
            await client.emit("session_request", {"session_id": "abc123"})
            assert await asyncio.wait_for(events.get(), 10) == {"session": "abc123"}
            await client.emit("user_uttered", {"message": "Caut un curs", "session_id": "abc123",
                                               "metadata": {"language": "ro"}})
            first = await asyncio.wait_for(events.get(), 10)
            second = await asyncio.wait_for(events.get(), 10)
            # a message without a session id is ignored, as Rasa's channel does
            await client.emit("user_uttered", {"message": "lost"})
            await asyncio.sleep(0.3)
            evil = await connects(port, "http://evil.example")
        finally:
            await client.disconnect()
            server.close()
            await server.wait_closed()
        return first, second, evil

    first, second, evil_connected = asyncio.run(scenario())
    assert first == {"text": "Found 1.\n\nSource: ESCO",
                     "quick_replies": [{"content_type": "text", "title": "Details", "payload": "/explain_offer"}],
                     "metadata": {"citation": "ESCO"}}
    assert second == {"custom": CARDS}
    assert [(m.text, m.sender_id, m.metadata, m.input_channel) for m in received] == [
        ("Caut un curs", "abc123", {"language": "ro"}, "socketio")]
    assert not evil_connected


def test_credentials_entry_loads_in_rasa():
    from rasa.core.channels import BUILTIN_CHANNELS
    from rasa.shared.utils.common import class_from_module_path

    def _create_single_channel(name, credentials):  # what rasa.core.run does for a channel given by module path
        assert name not in BUILTIN_CHANNELS
        return class_from_module_path(name).from_credentials(credentials)

    from orienta.credentials import SOCKETIO_CHANNEL_CLASS, render_credentials

    credentials = render_credentials({"ORIENTA_ALLOWED_ORIGINS": "http://localhost:8080 http://127.0.0.1:8080"})
    channel = _create_single_channel(SOCKETIO_CHANNEL_CLASS, credentials[SOCKETIO_CHANNEL_CLASS])
    assert isinstance(channel, OrientaSocketIOInput)
    assert (channel.user_message_evt, channel.bot_message_evt, channel.session_persistence) == (
        "user_uttered", "bot_uttered", True)
    assert channel.allowed_origins == ["http://localhost:8080", "http://127.0.0.1:8080"]
    assert _create_single_channel(SOCKETIO_CHANNEL_CLASS, render_credentials({})[SOCKETIO_CHANNEL_CLASS]
                                  ).allowed_origins is None
    assert SOCKETIO_CHANNEL_CLASS not in render_credentials({"ORIENTA_SOCKETIO": "off"})


@pytest.mark.parametrize("origin, allowed, expected", [
    ("http://evil.example", None, True),                       # not configured: Rasa's behaviour
    (None, ["http://localhost:8080"], True),                    # no Origin: not a browser on another site
    ("http://localhost:8080", ["http://localhost:8080/"], True),
    ("http://evil.example", ["http://localhost:8080"], False),
    ("http://localhost:8080", [], False),
])
def test_origin_allowed(origin, allowed, expected):
    assert origin_allowed(origin, allowed) is expected
