"""A WSGI app served on loopback in a background thread: the body of every platform sandbox."""
from __future__ import annotations

import socket
import threading

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Response


class QuietHandler(WSGIRequestHandler):
    """HTTP/1.1, no access log, errors still logged.

    Werkzeug's server closes each connection after its answer (it cannot drain a kept-alive stream), so
    every request to a sandbox opens a connection, where a platform would keep it; the floor in
    bench/overhead.py pays the same."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code="-", size="-") -> None:
        pass

    def log(self, type, message, *args) -> None:
        if type == "error":
            super().log(type, message, *args)


def dropped(environ) -> Response:
    """For a request left without an answer: its socket is shut, so the client sees the connection drop
    (the 500 returned to the server never reaches it)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    return Response(b"", status=500)


class LoopbackServer:
    def __init__(self, app, name: str, host: str = "127.0.0.1", port: int = 0):
        self.app, self.name, self.host, self.port = app, name, host, port
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> None:
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=QuietHandler)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None
