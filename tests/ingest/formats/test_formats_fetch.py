"""fetch_url against a real local HTTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.fetch import fetch_url
from ingest.formats import FormatError, Record, parse_bytes

FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title>
<item><title>hi</title><description>hello &lt;b&gt;world&lt;/b&gt;</description>
<link>https://weibo.com/1749127163/PqYU7mass</link><pubDate>Sat, 31 May 2025 12:15:00 GMT</pubDate></item>
</channel></rss>"""


class Handler(BaseHTTPRequestHandler):
    seen_agents: list[str] = []

    def do_GET(self) -> None:
        Handler.seen_agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/old":
            self.send_response(301)
            self.send_header("Location", "/feed.xml")
            self.end_headers()
        elif self.path == "/feed.xml":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)
        elif self.path == "/slow":
            time.sleep(2)
            self.send_response(200)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_feed_follows_redirects(server: str) -> None:
    data = fetch_url(f"{server}/old")
    assert data == FEED
    assert Handler.seen_agents[-1] == "execbot/0.1"
    (rec,) = list(parse_bytes(data, f"{server}/old"))
    assert isinstance(rec, Record)
    assert (rec.platform, rec.source_id, rec.text) == ("weibo", "PqYU7mass", "hello world")


def test_fetch_http_error(server: str) -> None:
    with pytest.raises(FormatError, match=r"^cannot fetch .*/missing: HTTP 404"):
        fetch_url(f"{server}/missing")


def test_fetch_timeout(server: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(FormatError, match=r"timed out after 0.3s"):
        fetch_url(f"{server}/slow", timeout=0.3)
    assert time.monotonic() - t0 < 1.8


def test_fetch_connection_refused() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FormatError, match=rf"^cannot fetch http://127.0.0.1:{port}/x: "):
        fetch_url(f"http://127.0.0.1:{port}/x", timeout=2)


def test_fetch_rejects_other_schemes() -> None:
    with pytest.raises(FormatError, match="only http:// and https://"):
        fetch_url("ftp://example.com/feed.xml")
