"""UltraCartSandbox: the sandbox app served on loopback in a background thread."""
from __future__ import annotations

from dockline.sandbox.http import LoopbackServer
from dockline.sandbox.ultracart.app import PREFIX, Faults, UltraCartApp
from dockline.sandbox.ultracart.store import UltraCartStore


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
        self._http = LoopbackServer(self.app, "ultracart-sandbox", host)

    @property
    def base_url(self) -> str:
        return f"{self._http.url}{PREFIX}"

    @property
    def credentials(self) -> dict:
        return {"merchant_id": self.merchant_id, "api_key": self.api_key,
                "distribution_center_code": self.store.distribution_centers[0]}

    @property
    def settings(self) -> dict:
        return {"api_base": self.base_url}

    def start(self) -> UltraCartSandbox:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> UltraCartSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
