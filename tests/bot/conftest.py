"""Fixtures of the bot's tests: a local GitHub REST API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def api() -> Iterator[tuple[str, list[tuple[str, str, dict[str, object], str]]]]:
    calls: list[tuple[str, str, dict[str, object], str]] = []

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, body: dict[str, object], code: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            calls.append(("GET", self.path, {}, self.headers.get("Authorization", "")))
            base = f"http://127.0.0.1:{self.server.server_address[1]}/api"
            if self.path == "/api/repos/o/r":
                self._reply({"full_name": "o/r", "name": "r", "url": f"{base}/repos/o/r"})
            elif self.path == "/api/repos/o/r/issues/5":
                self._reply({"number": 5, "url": f"{base}/repos/o/r/issues/5"})
            else:
                self._reply({"message": "Not Found"}, 404)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(("POST", self.path, body, self.headers.get("Authorization", "")))
            if self.path == "/api/repos/o/r/issues":
                self._reply({"number": 7, "html_url": "https://gh/o/r/issues/7"}, 201)
            else:
                self._reply({"id": 1, "html_url": "https://gh/o/r/issues/5#c1"}, 201)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api", calls
    finally:
        server.shutdown()
