"""The socket.io channel over a real Sanic server and a real socket.io client (loopback)."""
import asyncio
import socket

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from orienta_rasa.socketio_channel import OrientaSocketIOInput, text_message, user_metadata

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


def test_round_trip_with_session_persistence():
    received = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_response(message.sender_id, {
            "text": "Found 1.\n\nSource: ESCO", "buttons": [{"title": "Details", "payload": "/explain_offer"}],
            "custom": CARDS, "metadata": {"citation": "ESCO"},
        })

    async def scenario():
        port = free_port()
        channel = OrientaSocketIOInput.from_credentials(
            {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True})
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
            await client.connect(f"http://127.0.0.1:{port}", transports=["polling"])  # the websocket transport needs a newer aiohttp client; the browser test covers it
            await client.emit("session_request", {"session_id": "abc123"})
            assert await asyncio.wait_for(events.get(), 10) == {"session": "abc123"}
            await client.emit("user_uttered", {"message": "Caut un curs", "session_id": "abc123",
                                               "metadata": {"language": "ro"}})
            first = await asyncio.wait_for(events.get(), 10)
            second = await asyncio.wait_for(events.get(), 10)
            # a message without a session id is ignored, as Rasa's channel does
            await client.emit("user_uttered", {"message": "lost"})
            await asyncio.sleep(0.3)
        finally:
            await client.disconnect()
            server.close()
            await server.wait_closed()
        return first, second

    first, second = asyncio.run(scenario())
    assert first == {"text": "Found 1.\n\nSource: ESCO",
                     "quick_replies": [{"content_type": "text", "title": "Details", "payload": "/explain_offer"}],
                     "metadata": {"citation": "ESCO"}}
    assert second == {"custom": CARDS}
    assert [(m.text, m.sender_id, m.metadata, m.input_channel) for m in received] == [
        ("Caut un curs", "abc123", {"language": "ro"}, "socketio")]


def test_credentials_entry_loads_in_rasa():
    from rasa.core.run import _create_single_channel

    from orienta.credentials import SOCKETIO_CHANNEL_CLASS, render_credentials

    credentials = render_credentials({})
    channel = _create_single_channel(SOCKETIO_CHANNEL_CLASS, credentials[SOCKETIO_CHANNEL_CLASS])
    assert isinstance(channel, OrientaSocketIOInput)
    assert (channel.user_message_evt, channel.bot_message_evt, channel.session_persistence) == (
        "user_uttered", "bot_uttered", True)
    assert SOCKETIO_CHANNEL_CLASS not in render_credentials({"ORIENTA_SOCKETIO": "off"})
