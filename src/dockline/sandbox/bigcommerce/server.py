"""BigCommerceSandbox: the sandbox app served on loopback in a background thread."""
from __future__ import annotations

import threading
from collections.abc import Iterable

from werkzeug.serving import WSGIRequestHandler, make_server

from dockline.sandbox.bigcommerce.app import ALL_SCOPES, BigCommerceApp, Faults
from dockline.sandbox.bigcommerce.store import BigCommerceStore, Stats


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (stats and the request log live in `store.stats`)."""

    def log_request(self, code="-", size="-") -> None:
        pass

    def log(self, type, message, *args) -> None:
        if type == "error":
            super().log(type, message, *args)


class BigCommerceSandbox:
    """A BigCommerce store on 127.0.0.1.

    >>> sb = BigCommerceSandbox(store_hash="demo", access_token="sandbox-token", quota=150, window_seconds=30.0)
    >>> sb.start(); sb.base_url           # -> connector setting api_base
    >>> sb.store.add_product(sku="WIDGET-1", name="Widget", price="9.99", inventory_level=5)
    >>> sb.store.place_order(items=[("WIDGET-1", 2)])
    >>> sb.stop()

    `scopes` are the OAuth scopes of the access token (default: every scope the
    sandbox knows, modify level); change `sb.scopes` at any time. Pass
    `tracking_carriers` (the values of tracking_carrier_values.csv) to make
    shipment posts reject unknown carriers as BigCommerce does.
    """

    def __init__(
        self,
        store_hash: str = "demo",
        access_token: str = "sandbox-token",
        *,
        quota: int = 150,
        window_seconds: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        scopes: Iterable[str] | None = None,
        tracking_carriers: Iterable[str] | None = None,
    ):
        self.store_hash = store_hash
        self.access_token = access_token
        self.host = host
        self.port = port
        self.store = BigCommerceStore(seed=seed, tracking_carriers=tracking_carriers)
        self.faults = Faults()
        self.app = BigCommerceApp(
            self.store,
            store_hash=store_hash,
            access_token=access_token,
            quota=quota,
            window_seconds=window_seconds,
            faults=self.faults,
            scopes=scopes,
        )
        self._server = None
        self._thread: threading.Thread | None = None

    # the token's scopes, e.g. {"store_v2_orders_read_only"}
    @property
    def scopes(self) -> set[str]:
        return self.app.scopes

    @scopes.setter
    def scopes(self, value: Iterable[str]) -> None:
        self.app.scopes = set(value)

    @property
    def stats(self) -> Stats:
        return self.store.stats

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def credentials(self) -> dict:
        return {"store_hash": self.store_hash, "access_token": self.access_token}

    @property
    def settings(self) -> dict:
        return {"api_base": self.base_url}

    def start(self) -> BigCommerceSandbox:
        if self._server is not None:
            return self
        self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"bigcommerce-sandbox-{self.store_hash}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> BigCommerceSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["ALL_SCOPES", "BigCommerceSandbox"]
