"""BigCommerceSandbox: the sandbox app served on loopback in a background thread."""
from __future__ import annotations

from collections.abc import Iterable

from dockline.sandbox.bigcommerce.app import ALL_SCOPES, BigCommerceApp, Faults
from dockline.sandbox.bigcommerce.store import BigCommerceStore, Stats
from dockline.sandbox.bigcommerce.webhooks import Deliverer
from dockline.sandbox.http import LoopbackServer


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

    Hooks registered through `/v3/hooks` are delivered when orders are created
    or change status (`sb.webhooks`: `repeat`, `delivered`, `idle()`).
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
        self.webhooks = Deliverer(self.store, store_hash)
        self._http = LoopbackServer(self.app, f"bigcommerce-sandbox-{store_hash}", host, port)

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
        return self._http.url

    @property
    def credentials(self) -> dict:
        return {"store_hash": self.store_hash, "access_token": self.access_token}

    @property
    def settings(self) -> dict:
        return {"api_base": self.base_url}

    def start(self) -> BigCommerceSandbox:
        self._http.start()
        self.webhooks.start()
        return self

    def stop(self) -> None:
        self.webhooks.stop()
        self._http.stop()

    def __enter__(self) -> BigCommerceSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["ALL_SCOPES", "BigCommerceSandbox"]
