"""A real handoff store on a temporary SQLite file, settings pointing at a fake webhook."""
import json

import httpx
import pytest

from orienta.handoff.config import HandoffSettings
from orienta.handoff.store import HandoffStore

WEBHOOK = "http://counsellors.test/hooks/abc"
RASA = "http://rasa.test:5005"


class Receiver:
    """An incoming-webhook receiver and a Rasa HTTP API, as httpx.MockTransport sees them."""

    def __init__(self) -> None:
        self.up = True  # the counsellors' webhook
        self.rasa_up = True
        self.posts = []
        self.executed = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "rasa.test":
            if not self.rasa_up:
                raise httpx.ConnectError("connection refused", request=request)
            self.executed.append((request.url.path, dict(request.url.params), json.loads(request.content)))
            return httpx.Response(200, json={"tracker": {}, "messages": []})
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        self.posts.append(json.loads(request.content))
        return httpx.Response(200, text="ok")


@pytest.fixture
def store(tmp_path):
    return HandoffStore(f"sqlite:///{tmp_path / 'handoff.db'}")


@pytest.fixture
def settings(tmp_path):
    return HandoffSettings(database_url=f"sqlite:///{tmp_path / 'handoff.db'}", webhook_url=WEBHOOK,
                           webhook_format="slack", pause_minutes=30, rasa_url=RASA, rasa_token="secret",
                           retry_first_seconds=5, retry_max_seconds=60)


@pytest.fixture
def receiver():
    return Receiver()


@pytest.fixture
def client(receiver):
    return httpx.Client(transport=httpx.MockTransport(receiver))
