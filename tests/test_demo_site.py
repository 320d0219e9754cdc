"""The demo page server: the widget's words per language, fallbacks, what it refuses, and its content types."""
import http.client
import json
import threading

import pytest

from orienta.demo_site import STATIC_FILES, make_server, rasa_url, route, widget_i18n
from orienta.languages import default_language, supported_languages
from orienta.widget_strings import DEMO_STRINGS, WIDGET_STRINGS


@pytest.mark.parametrize("language", supported_languages())
def test_widget_words_complete_in_every_language(language):
    words = json.loads(route(f"/widget/i18n/{language}.json", env={}).body)
    assert words["language"] == language
    assert set(words["strings"]) == set(WIDGET_STRINGS)
    for message_id, text in words["strings"].items():
        assert text and text != message_id, f"{message_id} has no {language} text"
    assert [entry["code"] for entry in words["languages"]] == list(supported_languages())
    assert all(entry["name"] for entry in words["languages"])


def test_widget_words_differ_between_languages():
    sends = {language: widget_i18n(language)["strings"]["widget.send"] for language in supported_languages()}
    assert len(set(sends.values())) == len(sends)


@pytest.mark.parametrize("asked", ["xx", "default", "PL-pl", "lt_LT"])
def test_unknown_language_falls_back_to_the_default(asked):
    words = json.loads(route(f"/widget/i18n/{asked}.json", env={}).body)
    expected = {"PL-pl": "pl", "lt_LT": "lt"}.get(asked, default_language())
    assert words["language"] == expected
    assert words["strings"] == widget_i18n(expected)["strings"]


@pytest.mark.parametrize("language", supported_languages())
def test_demo_page_in_each_language(language):
    from orienta.catalogs import translations_for

    response = route(f"/?lang={language}", "localhost:8080", {})
    page = response.body.decode("utf-8")
    assert response.status == 200 and response.content_type.startswith("text/html")
    assert f'<html lang="{language}">' in page
    assert f'data-lang="{language}"' in page and 'data-server="http://localhost:5005"' in page
    for message_id in DEMO_STRINGS:
        text = translations_for(language).gettext(message_id)
        assert text != message_id
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "ws://localhost:5005" in response.headers["Content-Security-Policy"]


def test_demo_page_unknown_language_is_the_default():
    page = route("/?lang=<script>", "localhost", {}).body.decode("utf-8")
    assert f'<html lang="{default_language()}">' in page and "<script>\"" not in page


@pytest.mark.parametrize("host, env, expected", [
    ("127.0.0.1:8080", {}, "http://127.0.0.1:5005"),
    ("localhost:8080", {"ORIENTA_RASA_PORT": "5123"}, "http://localhost:5123"),
    ("[::1]:8080", {}, "http://[::1]:5005"),
    ('evil"><script>alert(1)</script>', {}, "http://localhost:5005"),
    (None, {}, "http://localhost:5005"),
    ("localhost", {"ORIENTA_WIDGET_SERVER": "https://chat.example.eu/"}, "https://chat.example.eu"),
])
def test_rasa_url(host, env, expected):
    assert rasa_url(host, env) == expected


@pytest.mark.parametrize("path", [
    "/widget/../pyproject.toml", "/widget/%2e%2e/pyproject.toml", "/widget/src/orienta-widget.js",
    "/widget/i18n/../../pyproject.json", "/widget/i18n/en.json/../x", "/widget/node_modules/socket.io-client/package.json",
    "/orienta/settings.py", "//etc/passwd", "/widget/i18n/%2e%2e%2fen.json",
])
def test_only_listed_files_are_served(path):
    assert route(path, env={}).status == 404


@pytest.fixture(scope="module")
def server():
    httpd = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def fetch(port, path, method="GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path)  # sent as given: http.client does not normalize "..".
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.mark.parametrize("path, content_type", [
    ("/?lang=pl", "text/html; charset=utf-8"),
    ("/widget/orienta-widget.js", "text/javascript; charset=utf-8"),
    ("/widget/orienta-widget.css", "text/css; charset=utf-8"),
    ("/widget/socket.io.min.js", "text/javascript; charset=utf-8"),
    ("/widget/i18n/sl.json", "application/json; charset=utf-8"),
    ("/demo.css", "text/css; charset=utf-8"),
])
def test_content_types_over_http(server, path, content_type):
    response, body = fetch(server, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert int(response.getheader("Content-Length")) == len(body) > 0
    head, head_body = fetch(server, path, "HEAD")
    assert head.status == 200 and head_body == b""


def test_traversal_over_http_is_refused(server):
    for path in ("/widget/../pyproject.toml", "/../../etc/passwd", "/widget/i18n/../../../etc/passwd.json"):
        response, body = fetch(server, path)
        assert response.status == 404 and b"[project]" not in body and b"root:" not in body


def test_socket_io_client_is_the_pinned_version():
    package = json.loads((STATIC_FILES["/widget/socket.io.min.js"][0].parents[1] / "package.json").read_text())
    pinned = json.loads((STATIC_FILES["/widget/orienta-widget.js"][0].parents[1] / "package.json").read_text())
    assert package["version"] == pinned["dependencies"]["socket.io-client"]
