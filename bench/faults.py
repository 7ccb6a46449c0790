#!/usr/bin/env python3
"""A feed server that misbehaves on purpose, for timing a poll against it (bench/faultpoll.sh).

    python3 bench/faults.py PORT

Paths: /good/N (a good feed), /hang (never answers), /trickle (one byte a second), /endless
(a body that never ends), /bomb (a gzip bomb), /flaky (500, then 200), /busy (429, Retry-After
in seconds), /busy-date (429, Retry-After as a date), /gone (410), /loop (a redirect loop),
/page (an HTML page).
"""
import gzip
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def rss(name, n=20):
    items = "".join(
        f"<item><title>Post {i} of {name}</title><link>http://{name}.example/{i}</link>"
        f"<pubDate>Mon, 09 May 2016 10:00:00 +0000</pubDate>"
        f"<description>First paragraph of post {i}, long enough to be a summary.</description></item>"
        for i in range(n)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>http://{name}.example/</link>{items}</channel></rss>"
    ).encode()


BOMB = gzip.compress(b" " * (64 << 20), compresslevel=6)
FLAKY = {"hits": 0}
LOCK = threading.Lock()


class Faults(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        try:
            if p.startswith("/good/"):
                self.send(200, rss("good" + p[6:]), [("Content-Type", "application/rss+xml")])
            elif p == "/hang":
                time.sleep(3600)
            elif p == "/trickle":
                body = rss("slow")
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(1)
            elif p == "/endless":
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.end_headers()
                chunk = b"<item><title>again</title></item>" * 2000
                while True:
                    self.wfile.write(chunk)
            elif p == "/bomb":
                self.send(200, BOMB, [("Content-Encoding", "gzip"), ("Content-Type", "application/rss+xml")])
            elif p == "/flaky":
                with LOCK:
                    FLAKY["hits"] += 1
                    first = FLAKY["hits"] % 2 == 1
                if first:
                    self.send(500, b"oops")
                else:
                    self.send(200, rss("flaky"), [("Content-Type", "application/rss+xml")])
            elif p == "/busy":
                self.send(429, b"slow down", [("Retry-After", "3600")])
            elif p == "/busy-date":
                self.send(429, b"slow down", [("Retry-After", formatdate(time.time() + 7200, usegmt=True))])
            elif p == "/gone":
                self.send(410)
            elif p == "/loop":
                self.send(302, headers=[("Location", "/loop")])
            elif p == "/page":
                self.send(200, b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", [("Content-Type", "text/html")])
            else:
                self.send(404)
        except (BrokenPipeError, ConnectionResetError):
            pass


if __name__ == "__main__":
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Faults).serve_forever()
