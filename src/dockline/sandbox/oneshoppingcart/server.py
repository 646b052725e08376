"""OneShoppingCartSandbox: the sandbox app served on loopback in a background thread."""
from __future__ import annotations

from dockline.sandbox.http import LoopbackServer
from dockline.sandbox.oneshoppingcart.app import Faults, OneShoppingCartApp
from dockline.sandbox.oneshoppingcart.store import OneShoppingCartStore


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
        self._http = LoopbackServer(self.app, "oneshoppingcart-sandbox", host)

    @property
    def base_url(self) -> str:
        return self._http.url

    @property
    def credentials(self) -> dict:
        return {"merchant_id": self.store.merchant_id, "api_key": self.api_key}

    @property
    def settings(self) -> dict:
        return {"api_base": self.base_url}

    def start(self) -> OneShoppingCartSandbox:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> OneShoppingCartSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
