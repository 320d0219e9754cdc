"""Local fakes of the Telegram Bot API and the Mattermost REST API, for the channel tests.

Real HTTP servers on loopback (stdlib only, so both environments can use them)
that accept the requests the platforms accept and answer with the platforms'
response shapes, including their errors: Telegram rejects HTML it cannot parse,
texts over 4096 characters and callback_data over 64 bytes; Mattermost rejects
posts without a valid bearer token or channel. Every accepted call is recorded
for the assertions.
"""
from __future__ import annotations

import contextlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlparse

TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                 "span", "blockquote"}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def telegram_html_to_text(source: str) -> str:
    """The visible text of a Telegram HTML message; ValueError with Telegram's wording when it cannot parse it."""
    out: List[str] = []
    stack: List[str] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG.match(source, i)
            if not match or match.group(2).lower() not in TELEGRAM_TAGS:
                raise ValueError(f"Bad Request: can't parse entities: Unsupported start tag at byte offset {i}")
            closing, tag = match.group(1), match.group(2).lower()
            if closing:
                if not stack or stack.pop() != tag:
                    raise ValueError(f"Bad Request: can't parse entities: Unmatched end tag at byte offset {i}")
            else:
                stack.append(tag)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(source, i)
            if not match:
                raise ValueError(f"Bad Request: can't parse entities: Can't find end of the entity at byte offset {i}")
            out.append(html.unescape(match.group(0)))
            i = match.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise ValueError("Bad Request: can't parse entities: Can't find end tag corresponding to start tag " + stack[-1])
    return "".join(out)


@dataclass
class Call:
    method: str
    params: Dict[str, Any]
    headers: Dict[str, str] = field(default_factory=dict)


class _FakeServer:
    """A ThreadingHTTPServer in a daemon thread; subclasses answer `handle(method, path, headers, body)`."""

    def __init__(self) -> None:
        self.calls: List[Call] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = fake.handle(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                              body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def called(self, method: str) -> List[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> List[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.called(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{method} called {len(self.called(method))} times, expected {count}: {self.calls}")

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def handle(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Any]:
        raise NotImplementedError


def _form_or_json(headers: Dict[str, str], body: bytes) -> Dict[str, Any]:
    kind = headers.get("content-type", "").split(";")[0].strip()
    if kind == "application/json":
        return json.loads(body or b"{}")
    if kind in ("application/x-www-form-urlencoded", ""):
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    raise ValueError(f"unsupported content type {kind}")


class FakeTelegram(_FakeServer):
    """`POST /bot<token>/<method>` as the Bot API answers it: `{"ok": true, "result": ...}` or an error."""

    BOT = {"id": 7000001, "is_bot": True, "first_name": "Orienta", "username": "orienta_test_bot"}

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._message_id = 0

    @staticmethod
    def _error(code: int, description: str) -> Tuple[int, Any]:
        return code, {"ok": False, "error_code": code, "description": description}

    def handle(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Any]:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", urlparse(path).path)
        if not match:
            return self._error(404, "Not Found")
        if match.group(1) != self.token:
            return self._error(401, "Unauthorized")
        api_method = match.group(2)
        try:
            params = _form_or_json(headers, body)
            params.update(dict(parse_qsl(urlparse(path).query)))
        except ValueError as error:
            return self._error(400, f"Bad Request: {error}")
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        answer = getattr(self, f"api_{api_method}", None)
        if answer is None:
            return self._error(404, "Not Found: method not found")
        try:
            result = answer(params)
        except ValueError as error:
            return self._error(400, str(error))
        self.record(Call(api_method, params, headers))
        return 200, {"ok": True, "result": result}

    def api_getMe(self, params: Dict[str, Any]) -> Dict[str, Any]:
        return dict(self.BOT)

    def api_setWebhook(self, params: Dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith(("https://", "http://")) and params.get("url") != "":
            raise ValueError("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ValueError("Bad Request: secret token contains unallowed characters")
        return True

    def api_deleteWebhook(self, params: Dict[str, Any]) -> bool:
        return True

    def api_answerCallbackQuery(self, params: Dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ValueError("Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    def api_sendMessage(self, params: Dict[str, Any]) -> Dict[str, Any]:
        if not params.get("chat_id"):
            raise ValueError("Bad Request: chat_id is empty")
        text = str(params.get("text") or "")
        visible = telegram_html_to_text(text) if params.get("parse_mode") == "HTML" else text
        if not visible.strip():
            raise ValueError("Bad Request: message text is empty")
        if len(visible) > 4096:
            raise ValueError("Bad Request: message is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if not button.get("text") or (data is not None and not 1 <= len(data.encode()) <= 64):
                    raise ValueError("Bad Request: BUTTON_DATA_INVALID")
        params["visible_text"] = visible
        self._message_id += 1
        chat_id = int(params["chat_id"]) if str(params["chat_id"]).lstrip("-").isdigit() else params["chat_id"]
        return {"message_id": self._message_id, "from": dict(self.BOT), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"}, "text": visible}


class FakeMattermost(_FakeServer):
    """The parts of Mattermost's API v4 the bot uses: users/me, users/{id}, POST posts (201 + the Post)."""

    BOT_ID = "bot0000000000000000000000a"

    def __init__(self, token: str, users: Optional[Dict[str, Dict[str, Any]]] = None) -> None:
        super().__init__()
        self.token = token
        self.users = {self.BOT_ID: {"id": self.BOT_ID, "username": "orienta", "is_bot": True, "locale": "en"},
                      **(users or {})}
        self._post_id = 0

    @staticmethod
    def _error(code: int, error_id: str, message: str) -> Tuple[int, Any]:
        return code, {"id": error_id, "message": message, "detailed_error": "", "request_id": "fake",
                      "status_code": code}

    def handle(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Any]:
        route = urlparse(path).path
        if not route.startswith("/api/v4/"):
            return self._error(404, "api.context.404.app_error", "Sorry, we could not find the page.")
        if headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, "api.context.session_expired.app_error",
                               "Invalid or expired session, please login again.")
        route = route[len("/api/v4"):]
        if method == "GET" and route.startswith("/users/"):
            user_id = route.split("/")[2]
            user = self.users.get(self.BOT_ID if user_id == "me" else user_id)
            if user is None:
                return self._error(404, "app.user.missing_account.const", "Unable to find the user.")
            self.record(Call(f"GET /users/{user_id}", {}, headers))
            return 200, user
        if method == "POST" and route == "/posts":
            try:
                post = json.loads(body)
            except ValueError:
                return self._error(400, "api.context.invalid_body_param.app_error", "Invalid or missing post in request body.")
            if not post.get("channel_id"):
                return self._error(400, "api.context.invalid_body_param.app_error", "Invalid or missing channel_id")
            if len(post.get("message") or "") > 16383:
                return self._error(400, "model.post.is_valid.msg.app_error", "Invalid Message.")
            for attachment in (post.get("props") or {}).get("attachments") or []:
                for action in attachment.get("actions") or []:
                    if not action.get("name") or not (action.get("integration") or {}).get("url"):
                        return self._error(400, "model.post.is_valid.props.app_error", "Invalid props")
            self._post_id += 1
            created = {"id": f"post{self._post_id:022d}", "create_at": int(time.time() * 1000),
                       "user_id": self.BOT_ID, "root_id": post.get("root_id", ""), "type": "", **post}
            self.record(Call("POST /posts", created, headers))
            return 201, created
        return self._error(404, "api.context.404.app_error", "Sorry, we could not find the page.")


@contextlib.asynccontextmanager
async def serve_blueprints(*blueprints: Any) -> AsyncIterator[str]:
    """Serve Sanic blueprints (Rasa side only) on a free loopback port, with their server listeners; yields the URL.

    `blueprints`: (blueprint, url_prefix) pairs, mounted as Rasa mounts input channels.
    """
    import uuid

    from sanic import Sanic

    Sanic.test_mode = True
    app = Sanic(f"channels_{uuid.uuid4().hex}")
    for blueprint, prefix in blueprints:
        app.blueprint(blueprint, url_prefix=prefix)
    server = await app.create_server(host="127.0.0.1", port=0, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    port = server.server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
