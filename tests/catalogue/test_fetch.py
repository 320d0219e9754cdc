"""Import from an https:// URL: retries, timeouts, size limit and clear errors, faked with httpx.MockTransport."""
from __future__ import annotations

import httpx
import pytest

from catalogue_index.errors import FetchError
from catalogue_index.fetch import FetchSettings, fetch
from catalogue_index.importers import load

from .conftest import EXAMPLES, FIXTURES, export_text

URL = "https://catalogue.example.org/sample/EXAMPLES.jsonl"
FAST = FetchSettings(timeout=1, retries=3, max_bytes=1_000_000, backoff=0.01)


class Server:
    """A scripted server: each request gets the next response (or exception)."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item


def get(server, url=URL, settings=FAST, sleeps=None):
    return fetch(url, settings=settings, transport=httpx.MockTransport(server),
                 sleep=(sleeps.append if sleeps is not None else lambda _: None))


def test_a_catalogue_is_imported_from_a_url(store):
    body = EXAMPLES.read_bytes()
    server = Server(httpx.Response(200, content=body))
    loaded = load(URL, transport=httpx.MockTransport(server))
    assert loaded.format == "json" and loaded.source == URL
    report = store.import_records(loaded.records, source=loaded.source, format=loaded.format, issues=loaded.issues)
    assert report.created["offer"] == 2
    assert server.requests[0].headers["user-agent"].startswith("orienta")


def test_the_format_is_guessed_from_the_url_and_csv_needs_a_mapping(store):
    csv_server = Server(httpx.Response(200, content=(FIXTURES / "tiny.csv").read_bytes()))
    loaded = load("https://x.example.org/courses.csv", mapping=str(FIXTURES / "tiny_mapping.yml"),
                  transport=httpx.MockTransport(csv_server))
    assert loaded.format == "csv" and len([r for r in loaded.records if r.type == "offer"]) == 2


def test_transient_failures_are_retried_with_growing_pauses():
    sleeps = []
    server = Server(httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200, content=b"ok"))
    assert get(server, sleeps=sleeps) == b"ok"
    assert len(server.requests) == 3 and sleeps == [0.01, 0.02]


def test_it_gives_up_after_the_retries_and_says_why():
    server = Server(httpx.ReadTimeout("slow"))
    with pytest.raises(FetchError, match=r"gave up after 4 attempts \(timed out after 1 s\)"):
        get(server)
    assert len(server.requests) == 4


def test_a_client_error_is_not_retried():
    server = Server(httpx.Response(404))
    with pytest.raises(FetchError, match="HTTP 404 Not Found"):
        get(server)
    assert len(server.requests) == 1


def test_the_size_limit_is_enforced_from_the_header_and_while_reading():
    small = FetchSettings(timeout=1, retries=0, max_bytes=10, backoff=0)
    with pytest.raises(FetchError, match="over the 10-byte limit"):
        get(Server(httpx.Response(200, content=b"x" * 100)), settings=small)

    def chunks():
        yield b"x" * 8
        yield b"x" * 8

    with pytest.raises(FetchError, match="more than the 10-byte limit"):
        get(Server(httpx.Response(200, content=chunks())), settings=small)


@pytest.mark.parametrize("url", ["http://catalogue.example.org/x.jsonl", "ftp://x/y", "file:///etc/passwd", "https://"])
def test_only_https_urls(url):
    with pytest.raises(FetchError, match="only https:// URLs"):
        get(Server(httpx.Response(200)), url=url)


def test_a_redirect_to_plain_http_is_refused():
    def server(request):
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"location": "http://catalogue.example.org/x.jsonl"})
        return httpx.Response(200, content=b"{}")

    with pytest.raises(FetchError, match="redirected to a non-https URL"):
        get(server)


def test_settings_come_from_the_environment():
    settings = FetchSettings.from_env({"ORIENTA_FETCH_TIMEOUT": "5", "ORIENTA_FETCH_RETRIES": "0",
                                       "ORIENTA_FETCH_MAX_BYTES": "2048"})
    assert (settings.timeout, settings.retries, settings.max_bytes) == (5, 0, 2048)
    assert FetchSettings.from_env({}) == FetchSettings()
    with pytest.raises(FetchError, match="ORIENTA_FETCH"):
        FetchSettings.from_env({"ORIENTA_FETCH_RETRIES": "many"})


def test_a_failed_download_leaves_the_store_unchanged(filled_store, monkeypatch):
    monkeypatch.setenv("ORIENTA_FETCH_RETRIES", "0")
    before = export_text(filled_store)
    with pytest.raises(FetchError):
        load(URL, transport=httpx.MockTransport(Server(httpx.Response(500))))
    assert export_text(filled_store) == before
