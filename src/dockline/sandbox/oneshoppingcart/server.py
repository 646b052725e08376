"""OneShoppingCartSandbox: the sandbox app served on loopback in a background thread."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from dockline.sandbox.oneshoppingcart.app import Faults, OneShoppingCartApp
from dockline.sandbox.oneshoppingcart.store import OneShoppingCartStore


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


class OneShoppingCartSandbox:
    """A 1ShoppingCart account on 127.0.0.1.

    >>> sb = OneShoppingCartSandbox(merchant_id="118303", api_key="k").start()
    >>> pid = sb.store.add_product("Widget", "9.99", sku="WIDGET-1"); sb.store.place_order([(pid, 2)])
    >>> sb.base_url   # -> connector setting api_base
    """

    def __init__(self, merchant_id: str = "118303", api_key: str = "sandbox-key", *, host: str = "127.0.0.1",
                 seed: int = 0):
        self.api_key = api_key
        self.host = host
        self.store = OneShoppingCartStore(merchant_id=merchant_id, seed=seed)
        self.faults = Faults()
        self.app = OneShoppingCartApp(self.store, api_key, self.faults)
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def credentials(self) -> dict:
        return {"merchant_id": self.store.merchant_id, "api_key": self.api_key}

    @property
    def settings(self) -> dict:
        return {"api_base": self.base_url}

    def start(self) -> OneShoppingCartSandbox:
        if self._server is None:
            self._server = make_server(self.host, 0, self.app, threaded=True, request_handler=_QuietHandler)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="oneshoppingcart-sandbox", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> OneShoppingCartSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
