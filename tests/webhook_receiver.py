"""A real webhook receiver for tests: an HTTP server on loopback that records each POST
(the ``receivers`` fixture in tests/conftest.py makes three), and subscribing an account's
endpoint to it through the API. Webhooks may only point at loopback when the test's settings
allow it: mark the test (or module) ``pytest.mark.private_webhooks``."""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient


class Receiver:
    """A real HTTP server on loopback that records each POST and answers ``status``; with
    ``tls``, an HTTPS server (``port`` is its port, ``url`` its plain-HTTP address)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.status = 200
        self.delay = 0.0
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answered = 0  # POSTs answered (``received`` counts them when they arrive)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.received.append(({k: v for k, v in self.headers.items()}, body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.answered += 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def subscribe(client: TestClient, acct: object, url: str, **body: object) -> dict[str, object]:
    """``POST /api/v1/Account/{auth_id}/webhooks`` for ``acct`` (an ``AccountHandle``)."""
    path = f"/api/v1/Account/{acct.auth_id}/webhooks"  # type: ignore[attr-defined]
    r = client.post(path, json={"url": url, **body}, headers=acct.headers)  # type: ignore[attr-defined]
    assert r.status_code == 201, r.text
    return r.json()
