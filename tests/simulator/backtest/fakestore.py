"""A stand-in HTTP server for the failure cases the real Prometheus cannot be made to show: a 401, a reply that
is not JSON, a 503. It records the Authorization headers it received."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLIES = {
    "unauthorized": (401, "text/plain", b"Unauthorized\n"),
    "html": (200, "text/html", b"<html><body>Grafana login</body></html>"),
    "unavailable": (503, "text/plain", b"upstream connect error\n"),
    "api-error": (400, "application/json", b'{"status":"error","errorType":"bad_data","error":"parse error"}'),
}


@contextmanager
def fake_store(reply: str):
    """Yield (url, authorization headers seen) of a server answering every request with REPLIES[reply]."""
    status, content_type, body = REPLIES[reply]
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(self.headers.get("Authorization"))
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
