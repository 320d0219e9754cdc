"""A counsellors' incoming-webhook receiver on loopback, recording what it is sent."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(ThreadingHTTPServer):
    def __init__(self, port):
        self.posts = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.posts.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def shutdown(self):
        """Stop serving and close the socket, so that senders see a refused connection, not a hang."""
        super().shutdown()
        self.server_close()

    def wait_for(self, text, timeout=30):
        """The first payload whose text mentions `text`, waiting for the worker if need be."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, payload in list(self.posts):
                if text in json.dumps(payload, ensure_ascii=False):
                    return payload
            time.sleep(0.5)
        raise AssertionError(f"no notification mentioning {text!r} within {timeout} s: {self.posts}")
