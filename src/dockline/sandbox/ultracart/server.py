"""UltraCartSandbox: the sandbox app served on loopback in a background thread."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from dockline.sandbox.ultracart.app import PREFIX, Faults, UltraCartApp
from dockline.sandbox.ultracart.store import UltraCartStore


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


class UltraCartSandbox:
    """An UltraCart account on 127.0.0.1.

    >>> sb = UltraCartSandbox(merchant_id="DEMO", api_key="k", distribution_centers=("DFLT",)).start()
    >>> sb.store.add_item("WIDGET-1", "Widget", "9.99"); sb.store.place_order([("WIDGET-1", 2)])
    >>> sb.base_url   # -> connector setting api_base
    """

    def __init__(self, merchant_id: str = "DEMO", api_key: str = "sandbox-key",
                 distribution_centers: tuple[str, ...] = ("DFLT",), *, host: str = "127.0.0.1", seed: int = 0):
        self.merchant_id = merchant_id
        self.api_key = api_key
        self.host = host
        self.store = UltraCartStore(merchant_id=merchant_id, distribution_centers=distribution_centers, seed=seed)
        self.faults = Faults()
        self.app = UltraCartApp(self.store, api_key, self.faults)
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return f"http://{self.host}:{self._server.server_port}{PREFIX}"

    @property
    def credentials(self) -> dict:
        return {"merchant_id": self.merchant_id, "api_key": self.api_key,
                "distribution_center_code": self.store.distribution_centers[0]}

    @property
    def settings(self) -> dict:
        return {"api_base": self.base_url}

    def start(self) -> UltraCartSandbox:
        if self._server is None:
            self._server = make_server(self.host, 0, self.app, threaded=True, request_handler=_QuietHandler)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="ultracart-sandbox", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> UltraCartSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
