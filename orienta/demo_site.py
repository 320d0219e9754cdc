"""The demo provider page and the widget's files, served by `make run` (http://localhost:8080/?lang=pl).

A fictitious course provider's page with the chat widget embedded by one
<script> tag, as a real provider would do it. The same server hands out what
the widget loads: its script and stylesheet (widget/src), socket.io-client from
widget/node_modules (installed by `make setup` with `npm ci`, never a CDN) and
its words as `/widget/i18n/<lang>.json`, built at request time from the gettext
catalogs. Only the files listed in `STATIC_FILES` are served, so no path from a
request ever reaches the file system.

Settings: ORIENTA_DEMO_HOST (default 127.0.0.1), ORIENTA_DEMO_PORT (8080), and
ORIENTA_WIDGET_SERVER, the Rasa URL the widget talks to (default: the page's own
host name on ORIENTA_RASA_PORT, 5005, so that localhost and 127.0.0.1 both work).
"""
from __future__ import annotations

import html
import json
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Mapping, Optional
from urllib.parse import parse_qs, urlsplit

from babel import Locale

from orienta.catalogs import translations_for
from orienta.languages import PROJECT_ROOT, default_language, normalize_language, supported_languages
from orienta.widget_strings import DEMO_STRINGS, WIDGET_STRINGS

WIDGET_DIR = PROJECT_ROOT / "widget"
SOCKET_IO_DIST = WIDGET_DIR / "node_modules" / "socket.io-client" / "dist"
JS, CSS, JSON_TYPE, HTML = ("text/javascript; charset=utf-8", "text/css; charset=utf-8",
                            "application/json; charset=utf-8", "text/html; charset=utf-8")
# URL path -> (file, content type): everything static this server will ever send.
STATIC_FILES: Dict[str, tuple] = {
    "/widget/orienta-widget.js": (WIDGET_DIR / "src" / "orienta-widget.js", JS),
    "/widget/orienta-widget.css": (WIDGET_DIR / "src" / "orienta-widget.css", CSS),
    "/widget/socket.io.min.js": (SOCKET_IO_DIST / "socket.io.min.js", JS),
    "/widget/socket.io.min.js.map": (SOCKET_IO_DIST / "socket.io.min.js.map", JSON_TYPE),
    "/demo.css": (WIDGET_DIR / "demo" / "demo.css", CSS),
}
I18N_PATH = re.compile(r"^/widget/i18n/([A-Za-z_-]{1,20})\.json$")
HOST_NAME = re.compile(r"^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]{2,45}\]$")


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: Dict[str, str] = field(default_factory=dict)


def language_name(code: str) -> str:
    """A language's own name ('polski', 'lietuvių'), capitalised, from Babel's CLDR data."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def widget_i18n(language: str) -> dict:
    """The widget's words in `language` (unknown -> the default language), and the languages it offers."""
    code = normalize_language(language) or default_language()
    gettext = translations_for(code).gettext
    return {
        "language": code,
        "languages": [{"code": c, "name": language_name(c)} for c in supported_languages()],
        "strings": {message_id: gettext(message_id) for message_id in WIDGET_STRINGS},
    }


def rasa_url(host_header: Optional[str], env: Mapping[str, str]) -> str:
    """The Rasa server the widget connects to (see the module docstring)."""
    configured = (env.get("ORIENTA_WIDGET_SERVER") or "").strip().rstrip("/")
    if configured:
        return configured
    name = urlsplit("//" + (host_header or "")).hostname or ""
    if ":" in name:
        name = f"[{name}]"
    if not HOST_NAME.match(name):
        name = "localhost"
    return f"http://{name}:{(env.get('ORIENTA_RASA_PORT') or '5005').strip()}"


def content_security_policy(server: str) -> str:
    """Only our own files run on the demo page; the page may talk to the Rasa server (HTTP and WebSocket)."""
    parts = urlsplit(server)
    origin = f"{parts.scheme}://{parts.netloc}"
    socket_origin = origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {origin} {socket_origin}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def demo_page(language: str, server: str) -> str:
    """The fictitious provider's page in `language`, with the widget embedded exactly as the README shows."""
    t = translations_for(language).gettext
    e = lambda message_id: html.escape(t(message_id))  # noqa: E731 - every catalogue text is escaped
    others = "".join(
        f'<li><a href="/?lang={code}" hreflang="{code}" lang="{code}">{html.escape(language_name(code))}</a></li>'
        for code in supported_languages() if code != language)
    courses = "".join(f"<li>{e(f'demo.course_{n}')}</li>" for n in (1, 2, 3))
    return f"""<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e("demo.page_title")}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo.css">
</head>
<body>
<header class="site-header"><p class="site-name">{e("demo.provider_name")}</p></header>
<main>
<h1>{e("demo.heading")}</h1>
<p>{e("demo.intro")}</p>
<h2>{e("demo.courses_heading")}</h2>
<ul class="courses">{courses}</ul>
<p class="hint">{e("demo.chat_hint")}</p>
<nav aria-label="{e("demo.languages")}"><h2>{e("demo.languages")}</h2><ul class="languages">{others}</ul></nav>
</main>
<footer><p>{e("demo.footer")}</p></footer>
<script src="/widget/orienta-widget.js" data-server="{html.escape(server)}" data-lang="{language}" defer></script>
</body>
</html>
"""


def _static(path: str) -> Optional[Response]:
    entry = STATIC_FILES.get(path)
    if entry is None:
        return None
    file, content_type = entry
    if not file.is_file():
        return None
    return Response(200, content_type, file.read_bytes(), {"Access-Control-Allow-Origin": "*"})


def route(target: str, host_header: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> Response:
    """The response to `GET target` (path and query): pure, so it is tested without a socket."""
    env = os.environ if env is None else env
    parts = urlsplit(target)
    path = parts.path
    if path in ("/", "/index.html"):
        wanted = (parse_qs(parts.query).get("lang") or [""])[0]
        language = normalize_language(wanted) or default_language()
        server = rasa_url(host_header, env)
        return Response(200, HTML, demo_page(language, server).encode("utf-8"),
                        {"Content-Security-Policy": content_security_policy(server)})
    match = I18N_PATH.match(path)
    if match:
        body = json.dumps(widget_i18n(match.group(1)), ensure_ascii=False).encode("utf-8")
        # public words, fetched by providers' pages on other origins
        return Response(200, JSON_TYPE, body, {"Access-Control-Allow-Origin": "*"})
    static = _static(path)
    if static is not None:
        return static
    return Response(404, "text/plain; charset=utf-8", b"Not found\n")


class DemoHandler(BaseHTTPRequestHandler):
    server_version = "OrientaDemo"
    sys_version = ""

    def _respond(self, send_body: bool) -> None:
        try:
            response = route(self.path, self.headers.get("Host"))
        except Exception:  # noqa: BLE001 - a broken page must not stop the server
            self.log_error("error serving %s", self.path)
            response = Response(500, "text/plain; charset=utf-8", b"Internal error\n")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-cache")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._respond(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(False)


def make_server(host: str, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), DemoHandler)
    server.daemon_threads = True
    return server


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM from scripts/run.sh stops the server like Ctrl-C


def main() -> None:
    """`python -m orienta.demo_site`: started by scripts/run.sh."""
    host = os.environ.get("ORIENTA_DEMO_HOST", "127.0.0.1")
    port = int(os.environ.get("ORIENTA_DEMO_PORT", "8080"))
    server = make_server(host, port)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Demo page on http://{host}:{port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
