"""EbaySandbox: the sandbox eBay APIs served on loopback in a background thread."""
from __future__ import annotations

from dockline.sandbox.ebay.app import EbayApp, Faults
from dockline.sandbox.ebay.store import EbayStore
from dockline.sandbox.http import LoopbackServer


class EbaySandbox:
    """An eBay seller account and Dockline's application on 127.0.0.1.

    >>> sb = EbaySandbox().start()
    >>> sb.store.add_item("WIDGET-1", "Widget", 5); sb.store.place_order([("WIDGET-1", 2)])
    >>> sb.base_url   # -> connector setting api_base
    """

    def __init__(self, *, host: str = "127.0.0.1", seed: int = 0, store: EbayStore | None = None,
                 call_limits: dict[str, tuple[int, float]] | None = None):
        self.store = store or EbayStore(seed=seed)
        self.faults = Faults()
        self.app = EbayApp(self.store, self.faults, call_limits)
        self._http = LoopbackServer(self.app, "ebay-sandbox", host)
        self.refresh_token = self.store.grant()

    @property
    def base_url(self) -> str:
        return self._http.url

    @property
    def credentials(self) -> dict:
        return {"client_id": self.store.client_id, "client_secret": self.store.client_secret,
                "refresh_token": self.refresh_token}

    @property
    def settings(self) -> dict:
        return {"api_base": self.base_url, "auth_base": self.base_url, "marketplace_id": "EBAY_US"}

    def start(self) -> EbaySandbox:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> EbaySandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
