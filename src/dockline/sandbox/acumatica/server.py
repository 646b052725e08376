"""AcumaticaSandbox: the sandbox app served on loopback in a background thread."""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from dockline.sandbox.acumatica.app import AcumaticaApp, Faults
from dockline.sandbox.acumatica.instance import AcumaticaInstance
from dockline.sandbox.http import LoopbackServer


class AcumaticaSandbox:
    """An Acumatica instance on 127.0.0.1 with one OAuth client and one integration user.

    >>> sb = AcumaticaSandbox().start()
    >>> sb.credentials                       # what a person types into Dockline
    >>> sb.instance.add_item("WIDGET", "Widget"); sb.instance.place_order([("WIDGET", 2)], "UPSGROUND")
    >>> sb.instance.expire_secret(sb.client_id)   # faults: expired secret, revoked tokens, disabled user
    >>> AcumaticaSandbox(clock=lambda: t)         # token and refresh-token ages follow this clock
    >>> sb.stop()
    """

    def __init__(self, *, token_lifetime: float = 3600.0, max_sessions: int = 2, action_seconds: float = 0.3,
                 host: str = "127.0.0.1", port: int = 0, clock: Callable[[], float] = time.time):
        self.instance = AcumaticaInstance(token_lifetime=token_lifetime, max_sessions=max_sessions, clock=clock)
        self.client_id = f"{secrets.token_hex(8).upper()}@Company"
        self.username, self.password = "dockline-api", secrets.token_urlsafe(12)
        self.instance.add_client(self.client_id, secrets.token_urlsafe(24))
        self.instance.add_user(self.username, self.password)
        self.faults = Faults()
        self.app = AcumaticaApp(self.instance, faults=self.faults, action_seconds=action_seconds)
        self.host, self.port = host, port
        self._http = LoopbackServer(self.app, "acumatica-sandbox", host, port)

    @property
    def base_url(self) -> str:
        return self._http.url

    @property
    def credentials(self) -> dict:
        return {"instance_url": self.base_url, "client_id": self.client_id,
                "client_secret": self.instance.clients[self.client_id],
                "username": self.username, "password": self.password}

    def start(self) -> AcumaticaSandbox:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> AcumaticaSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
