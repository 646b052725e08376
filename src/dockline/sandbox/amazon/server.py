"""AmazonSandbox: the sandbox SP-API and its LWA token endpoint, served on loopback in a background thread."""
from __future__ import annotations

from dockline.sandbox.amazon.app import AmazonApp
from dockline.sandbox.amazon.store import US, AmazonSeller
from dockline.sandbox.amazon.wire import Faults
from dockline.sandbox.http import LoopbackServer


class AmazonSandbox:
    """One Amazon seller on 127.0.0.1, through one LWA app.

    >>> sb = AmazonSandbox(rate_scale=100).start()
    >>> sb.seller.add_listing("WIDGET-1", "Widget", "9.99"); sb.seller.place_order([("WIDGET-1", 2)])
    >>> sb.credentials, sb.settings   # -> what the wizard saves for the connector
    """

    def __init__(self, seller_id: str = "A1SANDBOXSELLER", *, client_id: str = "amzn1.application-oa2-client.sandbox",
                 client_secret: str = "sandbox-lwa-secret", refresh_token: str = "Atzr|sandbox-refresh-token",
                 marketplaces: tuple[str, ...] = (US,), rate_scale: float = 1.0, host: str = "127.0.0.1",
                 seed: int = 0):
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.seller = AmazonSeller(seller_id=seller_id, marketplaces=marketplaces, seed=seed)
        self.faults = Faults()
        self.app = AmazonApp(self.seller, client_id, client_secret, refresh_token, rate_scale=rate_scale,
                             faults=self.faults)
        self._http = LoopbackServer(self.app, "amazon-sandbox", host)

    @property
    def base_url(self) -> str:
        return self._http.url

    @property
    def credentials(self) -> dict:
        return {"seller_id": self.seller.seller_id, "lwa_client_id": self.client_id,
                "lwa_client_secret": self.client_secret, "refresh_token": self.refresh_token}

    @property
    def settings(self) -> dict:
        return {"marketplace_id": self.seller.marketplaces[0], "api_base": self.base_url,
                "token_url": f"{self.base_url}/auth/o2/token"}

    def start(self) -> AmazonSandbox:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> AmazonSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
