"""A tiny HTTP server on 127.0.0.1 in front of the emulator, for the SOAP codec tests.

It serves the WSDLs a test gives it (else the emulator's), forwards SOAP posts to the
emulator, lets a test rewrite the replies or answer with its own, and records every
request (method, path) it sees, so that a test can tell what a client fetched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class SoapProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream
        self.wsdl: dict[str, bytes] = {}  # service -> the document to serve instead
        self.answer: Callable[[str, bytes], tuple[int, bytes]] | None = None
        self.rewrite: Callable[[bytes], bytes] | None = None
        self.seen: list[tuple[str, str]] = []
        self.set_cookie: str | None = None  # sent with every SOAP reply
        self.cookies: list[str | None] = []  # the Cookie header of every SOAP post
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def paths(self, method: str) -> list[str]:
        return [path for m, path in self.seen if m == method]

    def __enter__(self) -> SoapProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(
                self, status: int, body: bytes, content_type: str, cookie: str | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if cookie:
                    self.send_header("Set-Cookie", cookie)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                proxy.seen.append(("GET", self.path))
                service = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
                if self.path.endswith("?wsdl") and service in proxy.wsdl:
                    self._send(200, proxy.wsdl[service], "text/xml; charset=utf-8")
                    return
                if not self.path.startswith("/webservices/"):
                    self._send(404, b"no such thing", "text/plain")
                    return
                upstream = requests.get(proxy.upstream + self.path, timeout=30)
                self._send(upstream.status_code, upstream.content, "text/xml; charset=utf-8")

            def do_POST(self) -> None:
                proxy.seen.append(("POST", self.path))
                proxy.cookies.append(self.headers.get("Cookie"))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service = self.path.rsplit("/", 1)[-1]
                if proxy.answer is not None:
                    status, content = proxy.answer(service, body)
                else:
                    upstream = requests.post(
                        proxy.upstream + self.path,
                        data=body,
                        headers={
                            "Content-Type": self.headers.get("Content-Type", "text/xml"),
                            "SOAPAction": self.headers.get("SOAPAction", '""'),
                        },
                        timeout=30,
                    )
                    status, content = upstream.status_code, upstream.content
                if proxy.rewrite is not None:
                    content = proxy.rewrite(content)
                self._send(status, content, "text/xml; charset=utf-8", proxy.set_cookie)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
